import { type CompletenessReport, InvalidOptionError } from '@capital/core';
import { Redis } from 'ioredis';
import { readCrawlCompleteness } from './crawl-completeness.js';
import {
  assertQueueExists,
  type CrawlReport,
  type CrawlStatus,
  checkReadCrawlStatusOptions,
  readCrawlStatus,
} from './crawl-status.js';
import { readFailedJobs } from './failed-jobs.js';
import { type QueueConnectionOptions, resolveQueueConnection, withQueue } from './queue-connection.js';

/** Options of {@link waitForCrawl}. */
export type WaitForCrawlOptions = QueueConnectionOptions & {
  /**
   * How often to read the counts, in ms.
   * @default 1000
   */
  readonly intervalMs?: number | undefined;
  /**
   * Failed jobs to report with the result, the most recent first.
   * @default 10
   */
  readonly failuresToReport?: number | undefined;
  /** Stops waiting (rejecting with the signal's reason); the crawl goes on without the waiter. */
  readonly signal?: AbortSignal | undefined;
  /** Told of every reading, for progress reports: its `stalled` says when a worker stopped. */
  readonly onProgress?: ((status: CrawlStatus) => void) | undefined;
  /**
   * The workers' lock duration (`capital worker --lock-duration`), in ms: an active job whose
   * lock has less than a quarter of it left counts as stalled.
   * @default 30_000
   */
  readonly lockDurationMs?: number | undefined;
  /**
   * The run the crawl writes (`capital enqueue --sink`): the completeness check counts only its
   * jobs, not those of the queue's earlier runs.
   * @default every completed job of the queue
   */
  readonly runId?: string | undefined;
};

/** A crawl that is over: its `state` is `complete` or `failed`. */
export type CrawlOutcome = CrawlReport & {
  /** The completed pages against what they said the whole result must hold. */
  readonly completeness: CompletenessReport;
};

/**
 * Waits until a crawl is complete (see `isCrawlComplete`), reading the queue's counts every
 * `intervalMs`. Polling, rather than BullMQ's event stream, because the counts are the truth and
 * a waiter that starts late, or reconnects, must not miss an event.
 *
 * Waits for ever if no worker runs: a job left active by a crashed worker is recovered only by a
 * live worker's stalled-job check. Each reading counts such jobs as `stalled`, so that the
 * caller can say so.
 *
 * @throws the signal's reason when aborted; {@link QueueUnavailableError} when Redis does not
 * answer within `connectTimeoutMs` at the start; {@link QueueNotFoundError} when the queue does
 * not exist (nothing was ever enqueued on it).
 * @example const outcome = await waitForCrawl({ queue: 'wtd-inc', onProgress: console.log });
 */
export async function waitForCrawl(options: WaitForCrawlOptions = {}): Promise<CrawlOutcome> {
  const connection = resolveQueueConnection(options);
  const intervalMs = options.intervalMs ?? 1000;
  if (!(intervalMs >= 10) || !Number.isFinite(intervalMs)) {
    throw new InvalidOptionError('intervalMs', `must be a number of ms ≥ 10, got ${intervalMs}.`);
  }
  checkReadCrawlStatusOptions(options);
  const signal = options.signal;
  return withQueue(
    connection,
    async (queue) => {
      const redis = new Redis(connection.redis, { maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      try {
        await assertQueueExists(redis, queue, connection);
        for (;;) {
          signal?.throwIfAborted();
          const status = await readCrawlStatus(queue, redis, { lockDurationMs: options.lockDurationMs });
          options.onProgress?.(status);
          if (status.complete) {
            const failures = await readFailedJobs(
              queue,
              Math.min(status.failed, options.failuresToReport ?? 10),
            );
            return { ...status, failures, completeness: await readCrawlCompleteness(queue, options.runId) };
          }
          await sleep(intervalMs, signal);
        }
      } finally {
        redis.disconnect();
      }
    },
    { readOnly: true },
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
