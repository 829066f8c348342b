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
 * The options a next task inherits from the job that found it: the same attempts and retention
 * as the seed was given, within the bounds `crawlJobOptions` allows. The job came through Redis,
 * where anyone could have written it, so its options are checked, not copied: the backoff is
 * always the crawl's and failed jobs are always kept.
 */
export function inheritedJobOptions(parent: JobsOptions): JobsOptions {
  const defaults = crawlJobOptions();
  const attempts = parent.attempts;
  const keep: unknown = parent.removeOnComplete;
  const age = typeof keep === 'object' && keep !== null ? (keep as { age?: unknown }).age : undefined;
  return {
    ...defaults,
    ...(typeof attempts === 'number' && Number.isInteger(attempts) && attempts >= 1 && attempts <= 100
      ? { attempts }
      : {}),
    ...(typeof age === 'number' && Number.isInteger(age) && age >= 1 ? { removeOnComplete: { age } } : {}),
  };
}
