import type { RunDeferredError } from '../errors.js';
import { deferralFor } from '../retry/defer-decision.js';
import { sleepWithTimers } from './acquire-by-reserving.js';
import type { LimiterKey } from './limiter-layers.js';
import type { RateLimiter, Reservation } from './rate-limiter.js';

/** Options of {@link acquireOrDefer}. */
export type AcquireOrDeferOptions = {
  /** Gives the permit back and rejects with its reason when aborted. */
  readonly signal?: AbortSignal | undefined;
  /** A pause of the key longer than this defers instead of waiting, in ms. */
  readonly deferAfterMs: number;
  /**
   * The clock of the deferral's `resumeAt`, in ms since the epoch.
   * @default Date.now
   */
  readonly now?: (() => number) | undefined;
};

/**
 * `limiter.acquire(key)`, except that a permit held back by a pause (a 429's `Retry-After`, set
 * by any process sharing the key) longer than `deferAfterMs` is given back at once and the call
 * rejects with a `RunDeferredError` saying when the key opens again, rather than waiting an hour.
 * A wait the rate alone sets is waited out, however long.
 *
 * @throws {RunDeferredError} as said; the signal's reason when aborted.
 * @example await acquireOrDefer(limiter, key, { signal, deferAfterMs: 300_000 })
 */
export async function acquireOrDefer(
  limiter: RateLimiter,
  key: LimiterKey,
  options: AcquireOrDeferOptions,
): Promise<Reservation> {
  const { signal } = options;
  signal?.throwIfAborted();
  let reservation = await limiter.reserve(key);
  for (;;) {
    const deferral = deferralOf(reservation, options);
    if (deferral !== undefined) {
      await reservation.release();
      throw deferral;
    }
    if (reservation.waitMs > 0) {
      try {
        await sleepWithTimers(reservation.waitMs, signal);
      } catch (error) {
        await reservation.release();
        throw error;
      }
    }
    // A pause learnt of while it waited voids the permit: its replacement is checked in turn.
    const replacement = reservation.recheck?.();
    if (replacement === undefined) return reservation;
    reservation = await replacement;
  }
}

function deferralOf(reservation: Reservation, options: AcquireOrDeferOptions): RunDeferredError | undefined {
  if (!((reservation.pausedForMs ?? 0) > options.deferAfterMs)) return undefined;
  return deferralFor(reservation.waitMs, options.deferAfterMs, (options.now ?? Date.now)());
}
