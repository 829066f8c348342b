import { describe, expect, it } from 'vitest';
import type { FaultDecision, FaultOptions } from './faults.js';
import { checkLatency, createFaultInjector, createSlowInjector } from './faults.js';

function draw(options: FaultOptions & { seed?: number }, count: number): FaultDecision[] {
  const { seed, ...rates } = options;
  const decide = createFaultInjector(rates, seed);
  return Array.from({ length: count }, () => decide());
}

function share(decisions: readonly FaultDecision[], kind: FaultDecision['kind']): number {
  return decisions.filter((decision) => decision.kind === kind).length / decisions.length;
}

describe('createFaultInjector', () => {
  it('injects nothing by default', () => {
    expect(draw({}, 1000).every((decision) => decision.kind === 'none')).toBe(true);
  });

  it('injects each kind of fault at roughly its rate', () => {
    const decisions = draw({ faultRate: 0.2, malformedRate: 0.1, burst429Rate: 0.05, seed: 7 }, 10_000);
    expect(share(decisions, 'server-error')).toBeGreaterThan(0.18);
    expect(share(decisions, 'server-error')).toBeLessThan(0.22);
    expect(share(decisions, 'malformed')).toBeGreaterThan(0.085);
    expect(share(decisions, 'malformed')).toBeLessThan(0.115);
    expect(share(decisions, 'burst-429')).toBeGreaterThan(0.04);
    expect(share(decisions, 'burst-429')).toBeLessThan(0.06);
  });

  it('uses every server error status and body, and every way of breaking a body', () => {
    const decisions = draw({ faultRate: 0.5, malformedRate: 0.5, seed: 3 }, 2000);
    const variants = new Set(
      decisions.map((decision) =>
        decision.kind === 'server-error'
          ? `${decision.status}/${decision.body}`
          : decision.kind === 'malformed'
            ? decision.body
            : decision.kind,
      ),
    );
    expect([...variants].sort()).toEqual([
      '500/html',
      '500/json',
      '502/html',
      '502/json',
      '503/html',
      '503/json',
      'html',
      'missing-data',
      'truncated-json',
    ]);
  });

  it('gives the same decisions for the same seed', () => {
    const options = { faultRate: 0.3, malformedRate: 0.3, burst429Rate: 0.3, seed: 11 };
    expect(draw(options, 500)).toEqual(draw(options, 500));
  });

  it('gives other decisions for another seed', () => {
    const options = { faultRate: 0.3, malformedRate: 0.3, burst429Rate: 0.3 };
    expect(draw({ ...options, seed: 1 }, 500)).not.toEqual(draw({ ...options, seed: 2 }, 500));
  });

  it('resets connections at roughly resetRate, after the other kinds, leaving their draws as they were', () => {
    const without = draw({ faultRate: 0.2, seed: 5 }, 2000);
    const withResets = draw({ faultRate: 0.2, resetRate: 0.1, seed: 5 }, 2000);
    expect(share(withResets, 'reset')).toBeGreaterThan(0.08);
    expect(share(withResets, 'reset')).toBeLessThan(0.12);
    expect(withResets.filter((decision) => decision.kind !== 'reset')).toEqual(
      without.filter((_, index) => withResets[index]?.kind !== 'reset'),
    );
  });

  it('fails every request when the rates add up to 1', () => {
    const decisions = draw({ faultRate: 0.1, malformedRate: 0.2, burst429Rate: 0.7 }, 1000);
    expect(share(decisions, 'none')).toBe(0);
  });

  it('refuses rates outside [0, 1] or adding up to more than 1', () => {
    expect(() => createFaultInjector({ faultRate: -0.1 })).toThrow(RangeError);
    expect(() => createFaultInjector({ malformedRate: 1.5 })).toThrow(RangeError);
    expect(() => createFaultInjector({ burst429Rate: Number.NaN })).toThrow(RangeError);
    expect(() => createFaultInjector({ faultRate: 0.6, malformedRate: 0.6 })).toThrow(RangeError);
    expect(() => createFaultInjector({ faultRate: 0.6, resetRate: 0.6 })).toThrow(RangeError);
  });
});

describe('createSlowInjector', () => {
  it('delays roughly slowRate of the requests by slowMs, the same ones for the same seed', () => {
    const delays = (seed: number) => {
      const next = createSlowInjector({ slowRate: 0.25, slowMs: 40 }, seed);
      return Array.from({ length: 4000 }, () => next());
    };
    const first = delays(3);
    expect(new Set(first)).toEqual(new Set([0, 40]));
    const slow = first.filter((ms) => ms === 40).length / first.length;
    expect(slow).toBeGreaterThan(0.22);
    expect(slow).toBeLessThan(0.28);
    expect(delays(3)).toEqual(first);
  });

  it('delays nothing by default and refuses a rate or a delay out of range', () => {
    const next = createSlowInjector({}, 1);
    expect(Array.from({ length: 100 }, () => next()).every((ms) => ms === 0)).toBe(true);
    expect(() => createSlowInjector({ slowRate: 2 })).toThrow(RangeError);
    expect(() => createSlowInjector({ slowRate: 0.5, slowMs: -1 })).toThrow(RangeError);
  });
});

describe('checkLatency', () => {
  it('accepts zero or more milliseconds and refuses the rest', () => {
    expect(checkLatency(0)).toBe(0);
    expect(checkLatency(12.5)).toBe(12.5);
    expect(() => checkLatency(-1)).toThrow(RangeError);
    expect(() => checkLatency(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
