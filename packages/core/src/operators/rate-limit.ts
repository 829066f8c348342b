import {
  asyncScheduler,
  defer,
  finalize,
  type MonoTypeOperatorFunction,
  map,
  mergeMap,
  of,
  type SchedulerLike,
  switchMap,
  timer,
} from 'rxjs';
import type { RateLimiter } from '../limit/rate-limiter.js';
import { fromMaybePromise } from '../maybe-promise.js';

/** Configuration of {@link rateLimit}. */
export type RateLimitConfig<T> = {
  /** Where permits come from: `MemoryLimiter` in one process, `RedisLimiter` across many. */
  readonly limiter: RateLimiter;
  /** The limiter key, or how to derive it from a value (`(task) => 'wtd:' + hash(task.credentials)`). */
  readonly key: string | ((value: T) => string);
  /**
   * Schedules the waits. A `TestScheduler` runs them on virtual time.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
  /** Told of every wait longer than 0 ms, for progress reports. */
  readonly onWait?: (waitMs: number, value: T) => void;
};

/**
 * Delays each value until the limiter grants it a permit: one reservation per value, then one
 * timer of exactly the reserved wait (no polling). Values on one key keep their order. A value
 * unsubscribed from while it waits gives its permit back.
 *
 * ```
 * limiter 2/4ms, burst 1:   source  abcd|
 *                           result  a-b-c-(d|)     (one permit every 2 ms)
 * ```
 *
 * @example tasks$.pipe(rateLimit({ limiter: new MemoryLimiter({ rate: '9/1s' }), key: 'wtd' }))
 */
export function rateLimit<T>(config: RateLimitConfig<T>): MonoTypeOperatorFunction<T> {
  const scheduler = config.scheduler ?? asyncScheduler;
  const keyOf = typeof config.key === 'function' ? config.key : () => config.key as string;
  return (source) =>
    source.pipe(
      mergeMap((value) =>
        defer(() => fromMaybePromise(config.limiter.reserve(keyOf(value)))).pipe(
          switchMap((reservation) => {
            if (reservation.waitMs <= 0) return of(value);
            config.onWait?.(reservation.waitMs, value);
            let granted = false;
            return timer(reservation.waitMs, scheduler).pipe(
              map(() => {
                granted = true;
                return value;
              }),
              finalize(() => {
                if (!granted) void reservation.release().catch(() => {});
              }),
            );
          }),
        ),
      ),
    );
}
