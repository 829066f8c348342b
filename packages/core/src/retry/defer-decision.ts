import { InvalidOptionError, RunDeferredError, type TaskLabel } from '../errors.js';
import { retryAfterOf } from './retry-policy.js';

/** The longest pause a run waits out before it defers instead, in ms: 5 minutes. */
export const defaultDeferAfterMs = 300_000;

/**
 * The longest deferral, in ms: 7 days. An API that asks for more is broken or hostile (a
 * `Retry-After: 1e300`); its run is deferred this long, and asks again then.
 */
export const maxDeferralMs = 7 * 24 * 3_600_000;

/**
 * Checks a deferral threshold where it enters: a number of ms ≥ 0, or `Infinity` (never defer).
 * @throws {InvalidOptionError} otherwise.
 */
export function checkDeferAfter(value: number, option = 'deferAfterMs'): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new InvalidOptionError(option, `must be a number of ms ≥ 0 (Infinity: never defer), got ${value}.`);
  }
  return value;
}

/**
 * Decides whether a failure asks for a pause longer than the run may wait: when the error
 * carries a `Retry-After` (`retryAfterMs`) above `deferAfterMs`, the deferral to raise; otherwise
 * `undefined`, and the failure is retried or failed as usual. The pause is capped at `capMs`
 * and at {@link maxDeferralMs}; values that are not a finite number ≥ 0 never defer (see
 * `retryAfterOf`).
 *
 * @param now - The clock, in ms since the epoch (the crawl's scheduler).
 * @param capMs - The configured cap of a `Retry-After` (`retryAfterCapMs`, `--max-retry-after`).
 * @example deferralOf(new HttpStatusError(429, 'quota', { retryAfterMs: 3_600_000 }), 300_000, Date.now())?.resumeAt
 */
export function deferralOf(
  error: unknown,
  deferAfterMs: number,
  now: number,
  label?: TaskLabel,
  capMs: number = maxDeferralMs,
): RunDeferredError | undefined {
  const retryAfterMs = retryAfterOf(error, Math.min(capMs, maxDeferralMs));
  if (retryAfterMs === undefined) return undefined;
  return deferralFor(retryAfterMs, deferAfterMs, now, { label, cause: error });
}

/**
 * The deferral for a pause of `pauseMs` (a `Retry-After`, or a shared limiter's pause that a
 * permit would wait out), or `undefined` when the pause is not longer than `deferAfterMs`.
 */
export function deferralFor(
  pauseMs: number,
  deferAfterMs: number,
  now: number,
  options: { readonly label?: TaskLabel | undefined; readonly cause?: unknown } = {},
): RunDeferredError | undefined {
  if (!(pauseMs > deferAfterMs) || !Number.isFinite(now)) return undefined;
  const waitMs = Math.ceil(Math.min(pauseMs, maxDeferralMs));
  return new RunDeferredError({ resumeAt: now + waitMs, waitMs, label: options.label, cause: options.cause });
}
