import type { Queue } from 'bullmq';
import { type QueueConnectionOptions, resolveQueueConnection, withQueue } from './queue-connection.js';

/** A task that failed for good, as `capital failed` lists it. */
export type FailedCrawlJob = {
  /** The job id: the task key. */
  readonly id: string;
  /** The connector the job named. */
  readonly connector: string;
  /** Why it failed: names the task (key prefix, page) and the cause, never a credential. */
  readonly reason: string;
  /** Attempts made. */
  readonly attempts: number;
  /** When it failed, in ms since the epoch. */
  readonly failedAt: number | undefined;
};

/** Options of {@link listFailedJobs}. */
export type ListFailedJobsOptions = QueueConnectionOptions & {
  /**
   * At most this many, the most recent first.
   * @default 100
   */
  readonly limit?: number | undefined;
};

/**
 * Reads the failed jobs of an open queue, the most recent first.
 * @example const failures = await readFailedJobs(queue, 10);
 */
export async function readFailedJobs(queue: Queue, limit: number): Promise<FailedCrawlJob[]> {
  if (limit <= 0) return [];
  const jobs = await queue.getFailed(0, limit - 1);
  return jobs.map((job) => ({
    id: job.id ?? '',
    connector: job.name,
    reason: job.failedReason || 'no reason recorded',
    attempts: job.attemptsMade,
    failedAt: job.finishedOn,
  }));
}

/**
 * The tasks of a crawl that failed for good, with their reasons.
 * @throws {QueueUnavailableError} when Redis does not answer within `connectTimeoutMs`.
 * @example for (const job of await listFailedJobs({ queue: 'wtd-inc' })) console.log(job.reason);
 */
export function listFailedJobs(options: ListFailedJobsOptions = {}): Promise<FailedCrawlJob[]> {
  return withQueue(resolveQueueConnection(options), (queue) => readFailedJobs(queue, options.limit ?? 100), {
    readOnly: true,
  });
}

/**
 * Moves every failed job of a crawl back to waiting, where workers take them again with a fresh
 * count of attempts (after fixing what failed them: a token, a connector version). Job by job,
 * because `Queue.retryJobs` keeps the attempts made, and a job that used them all would get a
 * single attempt more.
 * @returns how many jobs were moved.
 * @throws {QueueUnavailableError} when Redis does not answer within `connectTimeoutMs`.
 * @example await retryFailedJobs({ queue: 'wtd-inc' });
 */
export function retryFailedJobs(options: QueueConnectionOptions = {}): Promise<number> {
  return withQueue(resolveQueueConnection(options), async (queue) => {
    // The ids as they are now: a job that fails again at once is not retried in a loop.
    const ids = await queue.getRanges(['failed'], 0, -1);
    let moved = 0;
    for (let start = 0; start < ids.length; start += 500) {
      const retried = await Promise.all(
        ids.slice(start, start + 500).map(async (id) => {
          const job = await queue.getJob(id);
          // Retried, or removed, by someone else meanwhile: not counted.
          return (
            job?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).then(
              () => 1,
              () => 0,
            ) ?? 0
          );
        }),
      );
      moved += retried.reduce<number>((sum, one) => sum + one, 0);
    }
    return moved;
  });
}
