import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  mergeMap,
  Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { LimiterKey } from '../limit/limiter-layers.js';
import type { RateLimiter, Reservation } from '../limit/rate-limiter.js';
import { isPromiseLike } from '../maybe-promise.js';

/** Configuration of {@link rateLimit}. */
export type RateLimitConfig<T> = {
  /** Where permits come from: `MemoryLimiter` in one process, `RedisLimiter` across many. */
  readonly limiter: RateLimiter;
  /**
   * The limiter key, or how to derive it from a value (`(task) => 'wtd:' + hash(task.credentials)`);
   * layers (`[{ key: account }, { key: endpoint, rate: '25/1s' }]`) take a permit from each at once.
   */
  readonly key: LimiterKey | ((value: T) => LimiterKey);
  /**
   * Schedules the waits. A `TestScheduler` runs them on virtual time.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Told of every wait longer than 0 ms, with its reservation, for progress reports. When it
   * throws, the value errors and the permit is given back.
   */
  readonly onWait?: (waitMs: number, value: T, reservation: Reservation) => void;
  /**
   * Told when a value's permit is granted, with the grant's time on the scheduler's clock, taken
   * as early as it can be (when the permit was asked for, plus its wait): a timer that fires late
   * makes the grant look older, never younger, to whoever bounds the delay until it is used.
   */
  readonly onGrant?: (grantedAt: number, value: T) => void;
};

/**
 * Delays each value until the limiter grants it a permit: one reservation per value, then one
 * timer of exactly the reserved wait (no polling). Values on one key keep their order. A value
 * unsubscribed from while it waits gives its permit back; a permit voided by a pause (a 429)
 * while it waited is exchanged for one after the pause.
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
  const keyOf = typeof config.key === 'function' ? config.key : () => config.key as LimiterKey;
  return (source) => source.pipe(mergeMap((value) => waitForPermit(value, keyOf(value), config, scheduler)));
}

/**
 * One value: reserve, wait exactly, recheck, emit; a permit not used (unsubscribed) is given
 * back. A permit voided by a pause while it waited is replaced by one after the pause.
 */
function waitForPermit<T>(
  value: T,
  key: LimiterKey,
  config: RateLimitConfig<T>,
  scheduler: SchedulerLike,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let granted = false;
    let held: Reservation | undefined;
    let timer: Subscription | undefined;
    // When the pending reservation was asked for, before the store was.
    let askedAt = scheduler.now();
    const onReservation = (reservation: Reservation): void => {
      held = reservation;
      const grantedAt = askedAt + Math.max(0, reservation.waitMs);
      if (subscriber.closed) {
        giveBack(reservation);
        return;
      }
      const grant = (): void => {
        // Before the store is asked: its clock reads no earlier than this.
        askedAt = scheduler.now();
        const replacement = reservation.recheck?.();
        if (replacement !== undefined) {
          follow(replacement);
          return;
        }
        granted = true;
        config.onGrant?.(grantedAt, value);
        subscriber.next(value);
        subscriber.complete();
      };
      if (reservation.waitMs <= 0) {
        grant();
        return;
      }
      config.onWait?.(reservation.waitMs, value, reservation);
      timer = scheduler.schedule(grant, reservation.waitMs);
    };
    // A synchronous reservation (in-memory) keeps marble tests on virtual time.
    const follow = (reservation: Reservation | Promise<Reservation>): void => {
      if (isPromiseLike(reservation)) {
        // Thrown in a promise callback (by `onWait`, say), an error would otherwise be lost.
        reservation.then(onReservation).then(undefined, (error: unknown) => subscriber.error(error));
      } else onReservation(reservation);
    };
    follow(config.limiter.reserve(key));
    return () => {
      timer?.unsubscribe();
      // Unsubscribed before its grant, or before the store even answered (given back on arrival).
      if (!granted && held) giveBack(held);
    };
  });
}

function giveBack(reservation: Reservation): void {
  void reservation.release().catch(() => {});
}
