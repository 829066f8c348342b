import { acquireOrDefer } from '../limit/acquire-or-defer.js';
import type { LimiterKey } from '../limit/limiter-layers.js';
import type { Rate } from '../limit/rate.js';
import type { RateLimiter } from '../limit/rate-limiter.js';
import { createSendPermit, maxSendDelayFor, type SendPermit } from './send-permit.js';

/** Options of {@link acquireSendPermit}. */
export type AcquireSendPermitOptions = {
  readonly signal?: AbortSignal | undefined;
  /**
   * See {@link SendPermit.maxDelayMs}.
   * @default maxSendDelayFor(key, the limiter's rate)
   */
  readonly maxDelayMs?: number | undefined;
  /** Told of every request sent, with its grant-to-send delay. */
  readonly onSent?: ((delayMs: number) => void) | undefined;
  /** Told of every permit spent unused or late. */
  readonly onSpent?: ((ageMs: number) => void) | undefined;
  /**
   * A pause of the key longer than this defers instead of waiting (see `acquireOrDefer`), in ms.
   * @default Infinity (every pause is waited out)
   */
  readonly deferAfterMs?: number | undefined;
  /**
   * The clock of a deferral's `resumeAt`, in ms since the epoch.
   * @default Date.now
   */
  readonly now?: (() => number) | undefined;
};

/**
 * Waits for a permit, as `limiter.acquire` does, and returns it as a {@link SendPermit} for the
 * handler's HTTP client (see `permitDispatcher`), with the wait it took. Its grant time is read
 * as early as it can be: when the permit was asked for, plus its wait.
 *
 * @throws {RunDeferredError} when a pause outlasts `deferAfterMs`; the signal's reason when
 * aborted, or the limiter's error.
 * @example const { permit, waitMs } = await acquireSendPermit(limiter, key, { signal });
 */
export async function acquireSendPermit(
  limiter: RateLimiter,
  key: LimiterKey,
  options: AcquireSendPermitOptions = {},
): Promise<{ readonly permit: SendPermit; readonly waitMs: number }> {
  const take = async (signal: AbortSignal | undefined) => {
    const askedAt = Date.now();
    const { deferAfterMs, now } = options;
    const reservation =
      deferAfterMs === undefined || deferAfterMs === Number.POSITIVE_INFINITY
        ? await limiter.acquire(key, signal)
        : await acquireOrDefer(limiter, key, { signal, deferAfterMs, now });
    return { grantedAt: askedAt + Math.max(0, reservation.waitMs), waitMs: reservation.waitMs };
  };
  const first = await take(options.signal);
  const permit = createSendPermit({
    grantedAt: first.grantedAt,
    maxDelayMs: options.maxDelayMs ?? maxSendDelayFor(key, limiterRate(limiter)),
    take: async (signal) => (await take(signal ?? options.signal)).grantedAt,
    onSent: options.onSent,
    onSpent: options.onSpent,
  });
  return { permit, waitMs: first.waitMs };
}

/** The limiter's rate, on limiters that have one (`MemoryLimiter` and `RedisLimiter` do). */
export function limiterRate(limiter: RateLimiter): Rate | undefined {
  const rate = (limiter as { readonly rate?: Rate }).rate;
  return typeof rate?.limit === 'number' && typeof rate.periodMs === 'number' ? rate : undefined;
}
