import { type Task, taskKey } from '@capital/core';
import type { JobsOptions } from 'bullmq';
import { InvalidCrawlJobError } from './worker-errors.js';

/**
 * What one crawl job carries: one task, and what any worker needs to run it. Never a secret:
 * the task holds a credential *reference* (`env:WTD_API_TOKEN`) that each worker resolves from
 * its own environment.
 */
export type CrawlJobData = {
  /** The connector's name, which is also the job's name: workers load it by this name. */
  readonly connector: string;
  /** The task, as the connector made it. */
  readonly task: Task;
  /** The API's base URL the enqueuer chose; a worker's own `baseUrl` wins over it. */
  readonly baseUrl?: string;
  /** 0 for a seed, 1 for its next tasks, … */
  readonly depth: number;
};

/** A crawl job as `Queue.add` and `Queue.addBulk` take it. */
export type CrawlJob = {
  readonly name: string;
  readonly data: CrawlJobData;
  readonly opts: JobsOptions & { readonly jobId: string };
};

/**
 * The job for one task. Its id is the task key, so a task added twice — by two pages that both
 * name it, or by a seed enqueued twice — is one job, and runs once (BullMQ ignores an `add`
 * whose id exists, in whatever state).
 *
 * @throws {InvalidTaskError} when the task is not a plain JSON object.
 * @example crawlJob('wtd', stockSearchTask({ searchTerm: 'inc' }), 0, {}).opts.jobId // the task key
 */
export function crawlJob(
  connector: string,
  task: Task,
  depth: number,
  options: { readonly baseUrl?: string | undefined; readonly jobOptions?: JobsOptions | undefined },
): CrawlJob {
  const data: CrawlJobData = {
    connector,
    task,
    depth,
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
  };
  return { name: connector, data, opts: { ...options.jobOptions, jobId: taskKey(task) } };
}

/**
 * Reads a job's data back as a {@link CrawlJobData}, checking every field: the data came
 * through Redis, where anyone could have written it.
 *
 * @throws {InvalidCrawlJobError} naming the job and the field that is wrong.
 */
export function parseCrawlJobData(data: unknown, jobId?: string): CrawlJobData {
  const fail = (problem: string): never => {
    throw new InvalidCrawlJobError(jobId, problem);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return fail('its data is not an object.');
  const { connector, task, baseUrl, depth } = data as Record<string, unknown>;
  if (typeof connector !== 'string' || connector === '') return fail('`connector` is not a name.');
  if (typeof task !== 'object' || task === null || Array.isArray(task))
    return fail('`task` is not an object.');
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 0) {
    return fail('`depth` is not a whole number ≥ 0.');
  }
  if (baseUrl !== undefined && typeof baseUrl !== 'string') return fail('`baseUrl` is not a string.');
  return { connector, task: task as Task, depth, ...(baseUrl === undefined ? {} : { baseUrl }) };
}
