import { InvalidOptionError } from '@capital/core';
import type { JobsOptions } from 'bullmq';

/**
 * How the jobs of a crawl are retried and kept. The enqueuer sets them on the seeds; every next
 * task inherits its parent job's, so one crawl runs under one set of options.
 */
export type CrawlJobOptions = {
  /**
   * Runs of a task before it fails for good: the first attempt and its retries. A permanent
   * error (HTTP 401, 404, an invalid task) fails the job at its first attempt whatever this says.
   * @default 6
   */
  readonly attempts?: number | undefined;
  /**
   * How long a completed job — its id, which is its task key — stays in Redis, in seconds. While
   * it stays, adding the same task again is a no-op: that is what makes a page run once, however
   * many pages name it and however often the seed is enqueued. Once it is gone (BullMQ evicts
   * lazily, when a later job completes) the same task would run again: start a re-crawl sooner
   * on a new queue. Failed jobs are kept until `capital retry` or the queue is removed.
   * @default 604_800 (7 days)
   */
  readonly keepCompletedSeconds?: number | undefined;
};

/** The name of the backoff strategy crawl workers register (see `crawlBackoff`). */
export const crawlBackoffType = 'capital';

/**
 * The BullMQ job options of a crawl's jobs (without `jobId`, which is each task's key).
 * @throws {InvalidOptionError} when `attempts` is not a whole number from 1 to 100, or
 * `keepCompletedSeconds` not a whole number ≥ 1.
 * @example crawlJobOptions({}).attempts // 6
 */
export function crawlJobOptions(options: CrawlJobOptions = {}): JobsOptions {
  const attempts = options.attempts ?? 6;
  const keep = options.keepCompletedSeconds ?? 7 * 24 * 3600;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) {
    throw new InvalidOptionError('attempts', `must be a whole number from 1 to 100, got ${attempts}.`);
  }
  if (!Number.isInteger(keep) || keep < 1) {
    throw new InvalidOptionError('keepCompletedSeconds', `must be a whole number ≥ 1, got ${keep}.`);
  }
  return {
    attempts,
    backoff: { type: crawlBackoffType },
    removeOnComplete: { age: keep },
    // Kept for `capital failed` and `capital retry`; also keeps a failed task from being re-added.
    removeOnFail: false,
  };
}

/**
 * The options a next task inherits from the job that found it: the same attempts, backoff and
 * retention as the seed was given.
 */
export function inheritedJobOptions(parent: JobsOptions): JobsOptions {
  const defaults = crawlJobOptions();
  return {
    attempts: parent.attempts ?? defaults.attempts,
    backoff: parent.backoff ?? defaults.backoff,
    removeOnComplete: parent.removeOnComplete ?? defaults.removeOnComplete,
    removeOnFail: parent.removeOnFail ?? defaults.removeOnFail,
  } as JobsOptions;
}
