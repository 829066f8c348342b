import { isRetryable, type RetryPolicy, retryDelay } from '@capital/core';

/** Options of {@link retryWithinBudget}. */
export type RetryWithinBudgetOptions = {
  /** How long, in ms from the first attempt, failures may be retried. */
  readonly budgetMs: number;
  /** The most retries, whatever the budget left (`Infinity`: the budget alone decides). */
  readonly maxRetries: number;
  /** The backoff between attempts (`retries` is not read: see `maxRetries`). */
  readonly policy: RetryPolicy;
  /** Stops retrying and rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Makes the error thrown when the budget is spent, from the last failure. */
  readonly giveUp: (last: unknown, attempts: number, elapsedMs: number) => Error;
  /** @default performance.now */
  readonly now?: () => number;
};

/**
 * Runs `operation` until it succeeds, retrying what {@link isRetryable} calls transient with
 * the policy's backoff for as long as the budget lasts: a database restarting takes seconds
 * (`57P03 the database system is starting up`), and a count of retries spent in one second
 * gives up long before it is back. The last attempt starts when the budget runs out, no later.
 *
 * @throws what is not transient at once; `giveUp(last…)` once the budget is spent; the
 * signal's reason when it aborts.
 * @example await retryWithinBudget(() => store(batch), { budgetMs: 30_000, maxRetries: Infinity, policy, signal, giveUp })
 */
export async function retryWithinBudget<R>(
  operation: () => Promise<R>,
  options: RetryWithinBudgetOptions,
): Promise<R> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  for (let attempt = 1; ; attempt++) {
    options.signal.throwIfAborted();
    try {
      return await operation();
    } catch (error) {
      if (!isRetryable(error) || options.signal.aborted || attempt > options.maxRetries) throw error;
      const elapsed = now() - started;
      const remaining = options.budgetMs - elapsed;
      if (remaining <= 0) throw options.giveUp(error, attempt, elapsed);
      await sleep(Math.min(retryDelay(attempt, error, options.policy), remaining), options.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
