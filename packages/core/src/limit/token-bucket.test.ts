import { describe, expect, it } from 'vitest';
import type { Rate } from './rate.js';
import {
  intervalOf,
  pauseSlot,
  releaseSlot,
  reserveSlot,
  type Slot,
  toMicroseconds,
} from './token-bucket.js';

const ninePerSecond: Rate = { limit: 9, periodMs: 1000, burst: 1 };
const burstOfThree: Rate = { limit: 10, periodMs: 1000, burst: 3 };
const ms = 1000;

/** Reserves `count` permits at the same `nowUs`, threading the tat as a store would. */
function reserveMany(count: number, nowUs: number, rate: Rate, tatUs?: number): Slot[] {
  const slots: Slot[] = [];
  let stored = tatUs;
  for (let i = 0; i < count; i++) {
    const slot = reserveSlot(stored, nowUs, rate);
    slots.push(slot);
    stored = slot.tatUs;
  }
  return slots;
}

describe('intervalOf', () => {
  it('spaces permits by the period divided by the limit, in whole microseconds rounded up', () => {
    expect(intervalOf(ninePerSecond)).toBe(111_112);
    expect(intervalOf({ limit: 5, periodMs: 500, burst: 1 })).toBe(100_000);
  });
});

describe('toMicroseconds', () => {
  it('rounds a time in ms to the nearest whole microsecond', () => {
    expect(toMicroseconds(1.0004)).toBe(1000);
    expect(toMicroseconds(1.0005)).toBe(1001);
    expect(toMicroseconds(1_700_000_000_000.25)).toBe(1_700_000_000_000_250);
  });
});

describe('reserveSlot', () => {
  it('grants a fresh key at once and sets its tat one interval ahead', () => {
    expect(reserveSlot(undefined, 5000 * ms, ninePerSecond)).toEqual({
      grantAtUs: 5000 * ms,
      waitUs: 0,
      tatUs: 5000 * ms + 111_112,
    });
  });

  it('spaces back-to-back reservations exactly one interval apart, with their exact waits', () => {
    const slots = reserveMany(4, 0, { limit: 10, periodMs: 1000, burst: 1 });
    expect(slots.map((slot) => slot.grantAtUs)).toEqual([0, 100 * ms, 200 * ms, 300 * ms]);
    expect(slots.map((slot) => slot.waitUs)).toEqual([0, 100 * ms, 200 * ms, 300 * ms]);
  });

  it('treats a tat in the past as a fresh key', () => {
    expect(reserveSlot(1000 * ms, 9000 * ms, ninePerSecond)).toEqual(
      reserveSlot(undefined, 9000 * ms, ninePerSecond),
    );
  });

  it('grants up to the burst at once, then one per interval', () => {
    const slots = reserveMany(5, 0, burstOfThree);
    expect(slots.map((slot) => slot.grantAtUs)).toEqual([0, 0, 0, 100 * ms, 200 * ms]);
  });

  it('refills the burst at one permit per interval', () => {
    const [, , third] = reserveMany(3, 0, burstOfThree);
    const later = reserveMany(3, 150 * ms, burstOfThree, third?.tatUs);
    expect(later.map((slot) => slot.grantAtUs)).toEqual([150 * ms, 200 * ms, 300 * ms]);
  });

  it('never grants more than the limit in any half-open window of the period, even at epoch-sized times', () => {
    const grants = reserveMany(200, 1_700_000_000_000 * ms, ninePerSecond).map((slot) => slot.grantAtUs);
    for (let i = 0; i + 9 < grants.length; i++) {
      // The tenth permit after any permit falls outside [t, t + 1 s).
      expect((grants[i + 9] ?? 0) - (grants[i] ?? 0)).toBeGreaterThanOrEqual(1000 * ms);
    }
  });

  it('keeps every time a whole number of microseconds', () => {
    const slots = reserveMany(50, 1_700_000_000_123_457, { limit: 7, periodMs: 333, burst: 2 });
    for (const slot of slots) {
      expect(Number.isInteger(slot.grantAtUs) && Number.isInteger(slot.tatUs)).toBe(true);
    }
  });
});

describe('pauseSlot', () => {
  it('grants nothing before the pause ends', () => {
    const tat = pauseSlot(undefined, 0, 500, ninePerSecond);
    expect(reserveSlot(tat, 0, ninePerSecond).grantAtUs).toBe(500 * ms);
  });

  it('does not refill the burst during the pause', () => {
    const tat = pauseSlot(undefined, 0, 500, burstOfThree);
    expect(reserveMany(3, 0, burstOfThree, tat).map((slot) => slot.grantAtUs)).toEqual([
      500 * ms,
      600 * ms,
      700 * ms,
    ]);
  });

  it('never brings a later tat forward', () => {
    expect(pauseSlot(2000 * ms, 0, 500, ninePerSecond)).toBe(2000 * ms);
  });
});

describe('releaseSlot', () => {
  const interval = intervalOf(ninePerSecond);

  it('gives back the newest reservation', () => {
    const [first, second] = reserveMany(2, 0, ninePerSecond);
    const stored = second?.tatUs ?? 0;
    expect(releaseSlot(stored, stored, [], 0, 0, ninePerSecond)).toEqual({
      tatUs: first?.tatUs,
      releasedUs: [],
    });
  });

  it('keeps an older reservation, which has later permits behind it, for later', () => {
    const [first, second] = reserveMany(2, 0, ninePerSecond);
    expect(releaseSlot(second?.tatUs ?? 0, first?.tatUs ?? 0, [], 0, 0, ninePerSecond)).toEqual({
      tatUs: second?.tatUs,
      releasedUs: [first?.tatUs],
    });
  });

  it('gives back every reservation cancelled together, oldest first too', () => {
    const slots = reserveMany(4, 0, ninePerSecond);
    let bucket = { tatUs: slots[3]?.tatUs ?? 0, releasedUs: [] as readonly number[] };
    for (const slot of slots.slice(1)) {
      bucket = releaseSlot(bucket.tatUs, slot.tatUs, bucket.releasedUs, 0, 0, ninePerSecond);
    }
    expect(bucket).toEqual({ tatUs: interval, releasedUs: [] });
  });

  it('never moves the tat below the floor of a pause', () => {
    const tat = pauseSlot(3 * interval, 0, 100, ninePerSecond);
    expect(tat).toBe(3 * interval);
    expect(releaseSlot(tat, tat, [2 * interval], 100 * ms, 0, ninePerSecond)).toEqual({
      tatUs: interval,
      releasedUs: [],
    });
    expect(releaseSlot(tat, tat, [2 * interval], 250 * ms, 0, ninePerSecond).tatUs).toBe(250 * ms);
  });

  it('forgets released tats already past, which are worth no more than now', () => {
    const [first, second] = reserveMany(2, 0, ninePerSecond);
    const stored = second?.tatUs ?? 0;
    const now = (first?.tatUs ?? 0) + 1;
    expect(releaseSlot(stored, first?.tatUs ?? 0, [], 0, now, ninePerSecond).releasedUs).toEqual([]);
  });
});
