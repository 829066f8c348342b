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
  /**
   * The API's base URL the enqueuer chose. A worker sends to it only if it was started with it
   * (or it is the connector's default); otherwise it refuses the job.
   */
  readonly baseUrl?: string;
  /** 0 for a seed, 1 for its next tasks, … */
  readonly depth: number;
  /**
   * The run of the sink the crawl's pages belong to (8 hex digits, as `newRunId` makes them),
   * inherited by every next task. Absent on jobs enqueued without one.
   */
  readonly runId?: string;
};

/** A crawl job as `Queue.add` and `Queue.addBulk` take it. */
export type CrawlJob = {
  readonly name: string;
  readonly data: CrawlJobData;
  readonly opts: JobsOptions & { readonly jobId: string };
};

/**
 * The job for one task. Its id is the task key (prefixed with the run, when the job has one), so
 * a task added twice within a run — by two pages that both name it, or by a seed enqueued twice —
 * is one job, and runs once (BullMQ ignores an `add` whose id exists, in whatever state); the
 * same task in a new run is a new job, so a refresh fetches it again.
 *
 * @throws {InvalidTaskError} when the task is not a plain JSON object.
 * @example crawlJob('wtd', stockSearchTask({ searchTerm: 'inc' }), 0, {}).opts.jobId // the task key
 */
export function crawlJob(
  connector: string,
  task: Task,
  depth: number,
  options: {
    readonly baseUrl?: string | undefined;
    readonly jobOptions?: JobsOptions | undefined;
    readonly runId?: string | undefined;
  },
): CrawlJob {
  const data: CrawlJobData = {
    connector,
    task,
    depth,
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
  };
  const key = taskKey(task);
  // BullMQ refuses ids with `:` in them (its key separator); a run id is hex, a task key too.
  const jobId = options.runId === undefined ? key : `${options.runId}-${key}`;
  return { name: connector, data, opts: { ...options.jobOptions, jobId } };
}

/** The most a job's task may weigh, as JSON: a task is one page's request, never its data. */
export const maxTaskBytes = 16 * 1024;
/** The longest base URL a job may carry. */
const maxBaseUrlLength = 2048;
/**
 * The deepest a job may be: a hundred billion pages, far beyond any real chain (a 10M-page cursor
 * chain is a goal of the crawl), yet a bound on a number that anyone with the Redis could write.
 */
const maxJobDepth = 100_000_000_000;
const jobFields = new Set(['connector', 'task', 'baseUrl', 'depth', 'runId']);
/** A run id as `newRunId` makes it. */
const runIdPattern = /^[0-9a-f]{8}$/;

/**
 * Reads a job's data back as a {@link CrawlJobData}, checking every field: the data came
 * through Redis, where anyone could have written it. Fields it does not know, a task heavier
 * than {@link maxTaskBytes} or not plain JSON, and a base URL that is not a plain http(s) URL
 * are refused. Whether the worker *sends* to that base URL is decided later (see `chooseBaseUrl`).
 *
 * @throws {InvalidCrawlJobError} naming the job and the field that is wrong.
 */
export function parseCrawlJobData(data: unknown, jobId?: string): CrawlJobData {
  const fail = (problem: string): never => {
    throw new InvalidCrawlJobError(jobId, problem);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return fail('its data is not an object.');
  const unknown = Object.keys(data).find((field) => !jobFields.has(field));
  if (unknown !== undefined)
    return fail(`it has a field no crawl job has (${JSON.stringify(unknown.slice(0, 40))}).`);
  const { connector, task, baseUrl, depth, runId } = data as Record<string, unknown>;
  if (typeof connector !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(connector))
    return fail('`connector` is not a name.');
  if (typeof task !== 'object' || task === null || Array.isArray(task))
    return fail('`task` is not an object.');
  let taskJson: string;
  try {
    taskJson = JSON.stringify(task);
  } catch {
    return fail('`task` is not JSON.');
  }
  if (Buffer.byteLength(taskJson) > maxTaskBytes)
    return fail(`\`task\` is larger than ${maxTaskBytes} bytes.`);
  if (typeof depth !== 'number' || !Number.isSafeInteger(depth) || depth < 0 || depth > maxJobDepth) {
    return fail('`depth` is not a whole number ≥ 0.');
  }
  if (baseUrl !== undefined) {
    if (typeof baseUrl !== 'string') return fail('`baseUrl` is not a string.');
    if (baseUrl.length > maxBaseUrlLength || !isPlainHttpUrl(baseUrl))
      return fail('`baseUrl` is not an http(s) URL without credentials.');
  }
  if (runId !== undefined && (typeof runId !== 'string' || !runIdPattern.test(runId)))
    return fail('`runId` is not a run id (8 hex digits).');
  return {
    connector,
    task: task as Task,
    depth,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(runId === undefined ? {} : { runId }),
  };
}

/** An http(s) URL with no user name or password in it (those would go to whatever it names). */
export function isPlainHttpUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === ''
  );
}
