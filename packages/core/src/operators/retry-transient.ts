import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  retry,
  type SchedulerLike,
  throwError,
  timer,
} from 'rxjs';
import { toError } from '../errors.js';
import {
  isRetryable,
  type RetryOptions,
  resolveRetryPolicy,
  retryAfterOf,
  retryDelay,
} from '../retry/retry-policy.js';

/** Configuration of {@link retryTransient}. */
export type RetryTransientConfig = RetryOptions & {
  /**
   * Schedules the delays; a `TestScheduler` runs them on virtual time.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
  /**
   * The jitter's source of randomness.
   * @default Math.random
   */
  readonly random?: () => number;
  /** Called before each retry with the error, the retry's number (1 first) and its delay. */
  readonly onRetry?: (error: Error, retry: number, delayMs: number) => void;
  /**
   * A `Retry-After` longer than this is not waited out: the error goes through at once, for the
   * caller to defer the work (see `deferralOf`), in ms.
   * @default Infinity
   */
  readonly deferAfterMs?: number;
  /** Called when the error carries a `Retry-After`, before the delay starts (to pause a shared limiter). */
  readonly onRetryAfter?: (retryAfterMs: number, error: Error) => void;
};

/**
 * Resubscribes to the source after a transient failure, with exponential backoff, jitter and
 * the server's `Retry-After`; lets permanent failures through at once. The same policy as
 * `retryPromise` (p-retry), on an RxJS scheduler so marble tests see exact frames.
 *
 * @example request$.pipe(retryTransient({ retries: 3, minTimeoutMs: 100 }))
 */
export function retryTransient<T>(config: RetryTransientConfig = {}): MonoTypeOperatorFunction<T> {
  const policy = resolveRetryPolicy(config);
  const scheduler = config.scheduler ?? asyncScheduler;
  return retry({
    count: policy.retries,
    delay: (thrown: unknown, retryCount: number) => {
      const error = toError(thrown);
      const retryAfter = retryAfterOf(error, policy.retryAfterCapMs);
      if (retryAfter !== undefined && retryAfter > (config.deferAfterMs ?? Infinity)) {
        return throwError(() => error);
      }
      if (!isRetryable(error) || (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs)) {
        return throwError(() => error);
      }
      const delay = retryDelay(retryCount, error, policy, config.random);
      if (retryAfter !== undefined) config.onRetryAfter?.(retryAfter, error);
      config.onRetry?.(error, retryCount, delay);
      return timer(delay, scheduler);
    },
  });
}
