import type { Rate } from './rate.js';

/**
 * The arithmetic of the limiter, with no I/O and no clock: a token bucket with reservations,
 * written as GCRA (the generic cell rate algorithm). One number per key, the theoretical
 * arrival time `tat`, stands for the whole bucket. The Redis script `lua/reserve-2.lua`
 * computes exactly the same, so the in-memory and Redis limiters agree (a property test says so).
 *
 *   interval  = ⌈periodMs × 1000 / limit⌉ µs   spacing between permits at the steady rate
 *   tolerance = interval × (burst − 1)          how far ahead of the steady rate a burst may run
 *
 *   grantAt = max(now, tat − tolerance)        the permit's time: now, or later when the bucket is empty
 *   tat'    = max(now, tat) + interval
 *
 * Every request gets a permit and its exact wait (`grantAt − now`): a caller sleeps once, it
 * never polls. With burst 1, permits are `interval` apart, so a window of `periodMs` never
 * holds more than `limit` of them.
 *
 * Time is counted in whole microseconds: a double holds every integer up to 2^53 exactly (some
 * 285 years of µs since 1970), whereas adding 1000/9 ms to an epoch in ms drifts by a rounding
 * error per permit, enough to squeeze a tenth permit into a second. The interval is rounded up
 * for the same reason: the limit is never exceeded, and at most 1 µs per permit goes unused.
 */

/** The outcome of {@link reserveSlot}, in whole microseconds. */
export type Slot = {
  /** When the permit may be used, on the same clock as `nowUs`. */
  readonly grantAtUs: number;
  /** `grantAtUs − nowUs`: how long the caller waits. */
  readonly waitUs: number;
  /** The key's new theoretical arrival time, to store. */
  readonly tatUs: number;
};

/** A time in ms (as clocks and schedulers give it) in whole µs, rounded the same way in Lua. */
export function toMicroseconds(ms: number): number {
  return Math.floor(ms * 1000 + 0.5);
}

/** Spacing between permits at the steady rate, in whole µs (rounded up). */
export function intervalOf(rate: Rate): number {
  return Math.ceil((rate.periodMs * 1000) / rate.limit);
}

/** Reserves one permit for a key whose stored `tatUs` is given (`undefined` for a fresh key). */
export function reserveSlot(tatUs: number | undefined, nowUs: number, rate: Rate): Slot {
  const interval = intervalOf(rate);
  const base = tatUs === undefined ? nowUs : Math.max(tatUs, nowUs);
  const grantAtUs = Math.max(nowUs, base - interval * (rate.burst - 1));
  return { grantAtUs, waitUs: grantAtUs - nowUs, tatUs: base + interval };
}

/** When a pause of `durationMs` from `nowUs` ends, in whole µs: no permit is granted before then. */
export function pauseEndOf(nowUs: number, durationMs: number): number {
  return nowUs + toMicroseconds(durationMs);
}

/**
 * The lowest `tat` a key may hold while a pause ending at `untilUs` matters: the first permit
 * is granted at `untilUs`, and the burst is not refilled by the pause.
 */
export function pauseFloor(untilUs: number, rate: Rate): number {
  return untilUs + intervalOf(rate) * (rate.burst - 1);
}

/**
 * The `tat` after the API asked every caller to stop until `now + durationMs` (a 429 with
 * `Retry-After`): no permit is granted before then, and the burst is not refilled by the pause.
 */
export function pauseSlot(tatUs: number | undefined, nowUs: number, durationMs: number, rate: Rate): number {
  return Math.max(tatUs ?? nowUs, pauseFloor(pauseEndOf(nowUs, durationMs), rate));
}

/** A key's bucket after {@link releaseSlot}. */
export type Released = {
  /** The key's new `tat`. */
  readonly tatUs: number;
  /** Reservations given back that still have later permits behind them: their `tat`s. */
  readonly releasedUs: readonly number[];
};

/**
 * Gives back the permit of a cancelled reservation, whose `tat` was `reservedTatUs`.
 *
 * The newest reservation goes back at once (the stored `tat` is its own: one interval off). An
 * older one has later permits behind it, which keep their times; it is remembered in
 * `releasedUs` instead, and goes back when the ones behind it have gone back too. So when
 * several waiting reservations are cancelled together, in any order, they all go back.
 *
 * The `tat` never falls below `floorUs` ({@link pauseFloor} of a pause, 0 when none): a
 * permit given back does not shorten a pause. Released `tat`s already past (≤ `nowUs`) are
 * dropped: a `tat` in the past is worth the same as `nowUs`.
 */
export function releaseSlot(
  storedTatUs: number,
  reservedTatUs: number,
  releasedUs: readonly number[],
  floorUs: number,
  nowUs: number,
  rate: Rate,
): Released {
  const pending = new Set(releasedUs.filter((tat) => tat > nowUs));
  if (reservedTatUs !== storedTatUs) {
    // A `tat` above the stored one belongs to a bucket that expired since: nothing to give back.
    if (reservedTatUs < storedTatUs && reservedTatUs > nowUs) pending.add(reservedTatUs);
    return { tatUs: storedTatUs, releasedUs: [...pending] };
  }
  const interval = intervalOf(rate);
  let tat = storedTatUs - interval;
  while (tat > floorUs && pending.delete(tat)) tat -= interval;
  return { tatUs: Math.max(tat, floorUs), releasedUs: [...pending] };
}

/** The outcome of {@link reserveLayers}, in whole microseconds. */
export type LayeredSlot = {
  /** When the permit may be used: the latest of the layers' earliest times. */
  readonly grantAtUs: number;
  /** `grantAtUs − nowUs`. */
  readonly waitUs: number;
  /** Each layer's new `tat`, in the layers' order. */
  readonly tatsUs: readonly number[];
};

/**
 * Reserves one permit on several buckets at once (an account's key and an endpoint's key, each
 * with its rate): the permit is granted at the latest of the times each layer alone would grant
 * it, and every layer's `tat` advances from that time.
 *
 *   grantAt = max over layers of max(now, max(tat_i, now) − tolerance_i)
 *   tat_i'  = max(tat_i, grantAt) + interval_i                 (tat_i = now when absent)
 *
 * With one layer this is {@link reserveSlot} exactly: `max(tat, grantAt)` is then `max(tat, now)`.
 * A layer that is not the one binding is charged from the grant, not from its own earlier time,
 * so no layer ever holds more than its limit in a window, whichever layer made the caller wait.
 */
export function reserveLayers(
  tatsUs: readonly (number | undefined)[],
  nowUs: number,
  rates: readonly Rate[],
): LayeredSlot {
  let grantAtUs = nowUs;
  rates.forEach((rate, index) => {
    const base = Math.max(tatsUs[index] ?? nowUs, nowUs);
    grantAtUs = Math.max(grantAtUs, base - intervalOf(rate) * (rate.burst - 1));
  });
  return {
    grantAtUs,
    waitUs: grantAtUs - nowUs,
    tatsUs: rates.map((rate, index) => Math.max(tatsUs[index] ?? nowUs, grantAtUs) + intervalOf(rate)),
  };
}
