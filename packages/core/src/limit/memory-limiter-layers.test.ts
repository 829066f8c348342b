import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { type LimiterLayer, pauseKeyOf } from './limiter-layers.js';
import { MemoryLimiter } from './memory-limiter.js';
import { parseRate } from './rate.js';
import type { Reservation } from './rate-limiter.js';
import { reserveLayers, reserveSlot } from './token-bucket.js';

function virtualLimiter(rate = '10/1s') {
  const scheduler = new VirtualTimeScheduler();
  return { scheduler, limiter: new MemoryLimiter({ rate, scheduler }) };
}

/** An account's budget at the limiter's rate, and one endpoint's at its own. */
const layers = (endpoint: string, endpointRate = '4/1s'): LimiterLayer[] => [
  { key: 'acct', name: 'account' },
  { key: `acct:${endpoint}`, rate: endpointRate, name: 'endpoint' },
];

const grants = (limiter: MemoryLimiter, key: string | LimiterLayer[], count: number) =>
  Array.from({ length: count }, () => (limiter.reserve(key) as Reservation).grantAt);

describe('reserveLayers', () => {
  it('is reserveSlot when there is one layer', () => {
    const rate = parseRate('3/1s,burst=2');
    for (const [tat, now] of [
      [undefined, 5_000],
      [4_000, 5_000],
      [900_000, 5_000],
      [2_000_000, 1_000_000],
    ] as const) {
      const single = reserveSlot(tat, now, rate);
      expect(reserveLayers([tat], now, [rate])).toEqual({
        grantAtUs: single.grantAtUs,
        waitUs: single.waitUs,
        tatsUs: [single.tatUs],
      });
    }
  });

  it('grants at the latest layer’s time and advances every layer from that grant', () => {
    const fast = parseRate('10/1s');
    const slow = parseRate('2/1s');
    // The slow layer is busy until 500 ms, the fast one is free: the grant waits for the slow one.
    expect(reserveLayers([0, 500_000], 0, [fast, slow])).toEqual({
      grantAtUs: 500_000,
      waitUs: 500_000,
      tatsUs: [600_000, 1_000_000],
    });
  });
});

describe('MemoryLimiter with layers', () => {
  it('spaces one endpoint by its own rate, the tighter one', () => {
    const { limiter } = virtualLimiter('10/1s');
    expect(grants(limiter, layers('charges'), 3)).toEqual([0, 250, 500]);
  });

  it('shares the account budget between endpoints', () => {
    const { limiter } = virtualLimiter('4/1s');
    // Two endpoints at 10/s each, one account at 4/s: permits alternate 250 ms apart.
    const charges = layers('charges', '10/1s');
    const customers = layers('customers', '10/1s');
    const times = [charges, customers, charges, customers].map(
      (key) => (limiter.reserve(key) as Reservation).grantAt,
    );
    expect(times).toEqual([0, 250, 500, 750]);
    // A plain key on the account shares it too.
    expect((limiter.reserve('acct') as Reservation).grantAt).toBe(1000);
  });

  it('never lets any layer hold more than its limit in a window of its period', () => {
    const { limiter } = virtualLimiter('5/1s');
    const keys = [layers('a', '3/1s'), layers('b', '3/1s')];
    const issued: { endpoint: number; at: number }[] = [];
    for (let index = 0; index < 30; index += 1) {
      const endpoint = (index * 7) % 2;
      issued.push({ endpoint, at: (limiter.reserve(keys[endpoint] ?? []) as Reservation).grantAt });
    }
    const most = (times: number[]) =>
      Math.max(...times.map((start) => times.filter((at) => at >= start && at < start + 1000).length));
    expect(most(issued.map((permit) => permit.at))).toBeLessThanOrEqual(5);
    for (const endpoint of [0, 1]) {
      expect(
        most(issued.filter((permit) => permit.endpoint === endpoint).map((permit) => permit.at)),
      ).toBeLessThanOrEqual(3);
    }
  });

  it('voids a waiting layered permit when one of its layers is paused, at that layer’s rate', () => {
    const { scheduler, limiter } = virtualLimiter('10/1s');
    const used = limiter.reserve(layers('charges')) as Reservation;
    const waiting = limiter.reserve(layers('charges')) as Reservation;
    expect([used.grantAt, waiting.grantAt]).toEqual([0, 250]);
    scheduler.frame = 100;
    limiter.pause('acct:charges', 900);
    scheduler.frame = 250;
    // Another endpoint is not paused: it is only charged on the shared account (10/s).
    expect((limiter.reserve(layers('customers')) as Reservation).grantAt).toBe(350);
    const replacement = waiting.recheck?.() as Reservation;
    expect(replacement.grantAt).toBe(1000);
    // The endpoint's next permit after the pause comes one 4/s interval later.
    expect((limiter.reserve(layers('charges')) as Reservation).grantAt).toBe(1250);
  });

  it('gives every layer its permit back on release', async () => {
    const { limiter } = virtualLimiter('10/1s');
    const first = limiter.reserve(layers('charges')) as Reservation;
    const second = limiter.reserve(layers('charges')) as Reservation;
    await second.release();
    expect(first.grantAt).toBe(0);
    expect((limiter.reserve(layers('charges')) as Reservation).grantAt).toBe(250);
    expect((limiter.reserve('acct') as Reservation).grantAt).toBe(350);
  });

  it('refuses no layers, a key given twice and a rate that does not parse', () => {
    const { limiter } = virtualLimiter();
    expect(() => limiter.reserve([])).toThrow(InvalidOptionError);
    expect(() => limiter.reserve([{ key: 'a' }, { key: 'a' }])).toThrow(InvalidOptionError);
    expect(() => limiter.reserve([{ key: 'a', rate: 'fast' }])).toThrow(InvalidOptionError);
  });
});

describe('pauseKeyOf', () => {
  it('pauses the layer the error names, by name or key, else the first; a plain key as it is', () => {
    expect(pauseKeyOf(layers('charges'), { limiterLayer: 'endpoint' })).toBe('acct:charges');
    expect(pauseKeyOf(layers('charges'), { limiterLayer: 'acct:charges' })).toBe('acct:charges');
    expect(pauseKeyOf(layers('charges'), { limiterLayer: 'nothing' })).toBe('acct');
    expect(pauseKeyOf(layers('charges'), new Error('429'))).toBe('acct');
    expect(pauseKeyOf('plain', { limiterLayer: 'endpoint' })).toBe('plain');
  });
});
