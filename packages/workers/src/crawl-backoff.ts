import { type RetryOptions, resolveRetryPolicy, retryDelay } from '@capital/core';
import type { BackoffStrategy } from 'bullmq';

/**
 * How long a worker waits before retrying a task: the crawl's own backoff. `retries` is not
 * here: the jobs' `attempts` (set by the enqueuer) count the attempts.
 */
export type CrawlBackoffOptions = Omit<RetryOptions, 'retries'>;

/**
 * The BullMQ backoff strategy of crawl jobs: the core's `retryDelay` — exponential, jittered,
 * and never shorter than the `Retry-After` the failed attempt's error carries (`retryAfterMs`),
 * so a 429 is waited out before the task runs again. Workers register it under the job option
 * `backoff: { type: 'capital' }`.
 *
 * BullMQ calls it with the number of attempts made including the one that failed, which is the
 * number of the retry about to be scheduled: 1 before the first retry.
 *
 * @param random - The jitter's source. @default Math.random
 * @throws {InvalidOptionError} for options out of range, when called.
 * @example new Worker(name, processor, { settings: { backoffStrategy: crawlBackoff({}) } })
 */
export function crawlBackoff(
  options: CrawlBackoffOptions = {},
  random: () => number = Math.random,
): BackoffStrategy {
  const policy = resolveRetryPolicy({ ...options, retries: 0 });
  return (attemptsMade, _type, error) => retryDelay(Math.max(1, attemptsMade), error, policy, random);
}
