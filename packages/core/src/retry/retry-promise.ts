import pRetry, { AbortError } from 'p-retry';
import { TransientError, toError } from '../errors.js';
import { isRetryable, type RetryOptions, resolveRetryPolicy, retryAfterOf } from './retry-policy.js';

/** Options of {@link retryPromise}. */
export type RetryPromiseOptions = RetryOptions & {
  /** Stops retrying and rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Called after each failed attempt that will be retried. */
  readonly onRetry?: (error: Error, attempt: number) => void;
};

/**
 * Runs a promise-returning operation with the same policy and the same idea of "transient" as
 * the crawl, through p-retry: for the promise-based edges (sinks' writes, connections), where
 * the crawl's RxJS retry does not reach. A `Retry-After` on the error is waited out in full.
 *
 * @example await retryPromise(() => pool.query(sql), { retries: 3 })
 */
export function retryPromise<R>(
  operation: (attempt: number) => Promise<R>,
  options: RetryPromiseOptions = {},
): Promise<R> {
  const policy = resolveRetryPolicy(options);
  return pRetry(
    async (attempt) => {
      try {
        return await operation(attempt);
      } catch (thrown) {
        const error = toError(thrown);
        const retryAfter = retryAfterOf(error, policy.retryAfterCapMs);
        // p-retry retries everything but AbortError; say "stop" for what is not transient, and
        // for a Retry-After longer than the policy allows (as the crawl does).
        if (!isRetryable(error) || (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs)) {
          throw new AbortError(error);
        }
        // p-retry gives up on a TypeError that it does not know as a network error itself.
        throw error instanceof TypeError ? new TransientError(error.message, { cause: error }) : error;
      }
    },
    {
      retries: policy.retries,
      factor: policy.factor,
      minTimeout: policy.minTimeoutMs,
      maxTimeout: policy.maxTimeoutMs,
      randomize: policy.randomize,
      signal: options.signal,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft === 0) return;
        options.onRetry?.(error, attemptNumber);
        const retryAfter = retryAfterOf(error, policy.retryAfterCapMs);
        if (retryAfter !== undefined)
          await waitFor(Math.min(retryAfter, policy.maxRetryAfterMs), options.signal);
      },
    },
  );
}

function waitFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
