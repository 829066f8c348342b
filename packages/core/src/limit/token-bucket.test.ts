import { describe, expect, it } from 'vitest';
import type { Rate } from './rate.js';
import { intervalOf, pauseSlot, releaseSlot, reserveSlot, type Slot } from './token-bucket.js';

const ninePerSecond: Rate = { limit: 9, periodMs: 1000, burst: 1 };
const burstOfThree: Rate = { limit: 10, periodMs: 1000, burst: 3 };

/** Reserves `count` permits at the same `now`, threading the tat as a store would. */
function reserveMany(count: number, now: number, rate: Rate, tat?: number): Slot[] {
  const slots: Slot[] = [];
  let stored = tat;
  for (let i = 0; i < count; i++) {
    const slot = reserveSlot(stored, now, rate);
    slots.push(slot);
    stored = slot.tat;
  }
  return slots;
}

describe('intervalOf', () => {
  it('spaces permits by the period divided by the limit', () => {
    expect(intervalOf(ninePerSecond)).toBe(1000 / 9);
    expect(intervalOf({ limit: 5, periodMs: 500, burst: 1 })).toBe(100);
  });
});

describe('reserveSlot', () => {
  it('grants a fresh key at once and sets its tat one interval ahead', () => {
    expect(reserveSlot(undefined, 5000, ninePerSecond)).toEqual({ grantAt: 5000, waitMs: 0, tat: 5000 + 1000 / 9 });
  });

  it('spaces back-to-back reservations exactly one interval apart, with their exact waits', () => {
    const slots = reserveMany(4, 0, { limit: 10, periodMs: 1000, burst: 1 });
    expect(slots.map((slot) => slot.grantAt)).toEqual([0, 100, 200, 300]);
    expect(slots.map((slot) => slot.waitMs)).toEqual([0, 100, 200, 300]);
  });

  it('treats a tat in the past as a fresh key', () => {
    expect(reserveSlot(1000, 9000, ninePerSecond)).toEqual(reserveSlot(undefined, 9000, ninePerSecond));
  });

  it('grants up to the burst at once, then one per interval', () => {
    const slots = reserveMany(5, 0, burstOfThree);
    expect(slots.map((slot) => slot.grantAt)).toEqual([0, 0, 0, 100, 200]);
  });

  it('refills the burst at one permit per interval', () => {
    const [, , third] = reserveMany(3, 0, burstOfThree);
    const later = reserveMany(3, 150, burstOfThree, third?.tat);
    expect(later.map((slot) => slot.grantAt)).toEqual([150, 200, 300]);
  });

  it('never grants more than the limit in any window of the period (to a microsecond)', () => {
    const grants = reserveMany(200, 1_700_000_000_000, ninePerSecond).map((slot) => slot.grantAt);
    for (let i = 0; i + 9 < grants.length; i++) {
      // Doubles near 1.7e12 ms are 2^-12 ms apart, so nine intervals may sum to 999.99976 ms.
      expect((grants[i + 9] ?? 0) - (grants[i] ?? 0)).toBeGreaterThan(1000 - 0.001);
    }
  });
});

describe('pauseSlot', () => {
  it('grants nothing before the pause ends', () => {
    const tat = pauseSlot(undefined, 0, 500, ninePerSecond);
    expect(reserveSlot(tat, 0, ninePerSecond).grantAt).toBe(500);
  });

  it('does not refill the burst during the pause', () => {
    const tat = pauseSlot(undefined, 0, 500, burstOfThree);
    expect(reserveMany(3, 0, burstOfThree, tat).map((slot) => slot.grantAt)).toEqual([500, 600, 700]);
  });

  it('never brings a later tat forward', () => {
    expect(pauseSlot(2000, 0, 500, ninePerSecond)).toBe(2000);
  });
});

describe('releaseSlot', () => {
  it('gives back the newest reservation', () => {
    const [first, second] = reserveMany(2, 0, ninePerSecond);
    expect(releaseSlot(second?.tat ?? 0, second?.tat ?? 0, ninePerSecond)).toBe(first?.tat);
  });

  it('refuses an older reservation, which has later permits behind it', () => {
    const [first, second] = reserveMany(2, 0, ninePerSecond);
    expect(releaseSlot(second?.tat ?? 0, first?.tat ?? 0, ninePerSecond)).toBeUndefined();
  });
});
