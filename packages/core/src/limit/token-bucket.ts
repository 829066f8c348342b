import type { Rate } from './rate.js';

/**
 * The arithmetic of the limiter, with no I/O and no clock: a token bucket with reservations,
 * written as GCRA (the generic cell rate algorithm). One number per key, the theoretical
 * arrival time `tat`, stands for the whole bucket. The Redis script `lua/reserve-1.lua`
 * computes exactly the same, so the in-memory and Redis limiters agree (a property test says so).
 *
 *   interval = periodMs / limit          spacing between permits at the steady rate
 *   tolerance = interval × (burst − 1)   how far ahead of the steady rate a burst may run
 *
 *   grantAt = max(now, tat − tolerance)  the permit's time: now, or later when the bucket is empty
 *   tat'    = max(now, tat) + interval
 *
 * Every request gets a permit and its exact wait (`grantAt − now`): a caller sleeps once, it
 * never polls. With burst 1, permits are `interval` apart, so a window of `periodMs` never
 * holds more than `limit` of them.
 */

/** The outcome of {@link reserveSlot}. */
export type Slot = {
  /** When the permit may be used, on the same clock as `now`. */
  readonly grantAt: number;
  /** `grantAt − now`: how long the caller waits. */
  readonly waitMs: number;
  /** The key's new theoretical arrival time, to store. */
  readonly tat: number;
};

/** Spacing between permits at the steady rate, in ms. */
export function intervalOf(rate: Rate): number {
  return rate.periodMs / rate.limit;
}

/** Reserves one permit for a key whose stored `tat` is given (`undefined` for a fresh key). */
export function reserveSlot(tat: number | undefined, now: number, rate: Rate): Slot {
  const interval = intervalOf(rate);
  const base = tat === undefined ? now : Math.max(tat, now);
  const grantAt = Math.max(now, base - interval * (rate.burst - 1));
  return { grantAt, waitMs: grantAt - now, tat: base + interval };
}

/**
 * The `tat` after the API asked every caller to stop until `now + durationMs` (a 429 with
 * `Retry-After`): no permit is granted before then, and the burst is not refilled by the pause.
 */
export function pauseSlot(tat: number | undefined, now: number, durationMs: number, rate: Rate): number {
  const until = now + durationMs + intervalOf(rate) * (rate.burst - 1);
  return Math.max(tat ?? now, until);
}

/**
 * The `tat` after a cancelled reservation gives its permit back. Only the newest reservation can
 * be returned (its `tat` is still the stored one); an older one has later permits behind it.
 */
export function releaseSlot(storedTat: number, reservedTat: number, rate: Rate): number | undefined {
  return storedTat === reservedTat ? storedTat - intervalOf(rate) : undefined;
}
