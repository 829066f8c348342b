import {
  acquireSendPermit,
  type Connector,
  deferralOf,
  type Expectation,
  type Handler,
  isRetryable,
  isRunDeferred,
  type LimiterKey,
  type Logger,
  labelTask,
  MaxDepthExceededError,
  pauseKeyOf,
  type RateLimiter,
  redactError,
  retryAfterOf,
  runHandler,
  type Task,
  TransientError,
  taskKey,
  timeSinkWrite,
  toError,
} from '@capital/core';
import type { Sink } from '@capital/sinks';
import type { JobsOptions } from 'bullmq';
import { attemptError, unrecoverable } from './attempt-error.js';
import { type BaseUrlPolicy, chooseBaseUrl } from './choose-base-url.js';
import { type CrawlJob, crawlJob, parseCrawlJobData } from './crawl-job.js';
import { inheritedJobOptions } from './crawl-job-options.js';
import { InvalidCrawlJobError } from './worker-errors.js';

/** What a worker holds for one connector, loaded once and shared by its jobs. */
export type ConnectorEntry = {
  readonly connector: Connector;
  /** The handler for a base URL (`undefined`: the connector's default). */
  handlerFor(baseUrl: string | undefined): Handler;
  /**
   * The limiter key of a task (the connector's `limiterKey`). It resolves the task's credential
   * reference, so it throws `CredentialRefusedError` for one the worker does not resolve.
   */
  limiterKey(task: Task): LimiterKey;
  readonly sink: Sink;
  /** The shared rate limiter; none means no limit. */
  readonly limiter: RateLimiter | undefined;
};

/** The parts of a BullMQ job that running it reads. */
export type CrawlJobRun = {
  readonly id?: string | undefined;
  readonly data: unknown;
  /** Attempts finished before this one (stalls do not count). */
  readonly attemptsMade: number;
  readonly opts: JobsOptions;
};

/** What running a job needs from the worker around it. */
export type RunCrawlJobContext = {
  /** The entry of a connector, loaded (with its sink) for its first task if need be. */
  connectorNamed(name: string, task: Task): Promise<ConnectorEntry>;
  /** Adds jobs (BullMQ ignores those whose id exists). */
  enqueue(jobs: readonly CrawlJob[]): Promise<unknown>;
  /** Where the worker sends requests; a job that asks for another base URL is refused. */
  readonly baseUrls: BaseUrlPolicy;
  readonly maxDepth: number;
  readonly maxRetryAfterMs: number;
  /**
   * The longest pause a job waits out, in ms; when the API (or the shared limiter's pause) asks
   * for longer, the job is deferred: `runCrawlJob` rejects with a `RunDeferredError`, and the
   * worker delays the job until its `resumeAt` instead of failing an attempt.
   */
  readonly deferAfterMs: number;
  readonly logger: Logger;
  /** The clock of `fetchedAt`. */
  readonly now: () => number;
};

/** What a completed job returns (BullMQ keeps it as the job's return value). */
export type CrawlJobOutcome = {
  readonly key: string;
  readonly records: number;
  readonly nextTasks: number;
  /** What the page said its whole result must hold; `capital enqueue --wait` checks it. */
  readonly expect?: Expectation | undefined;
  /**
   * The job's run was over (finished, or superseded by a newer run of its job) when its page
   * came, so the sink stored nothing of it and its next tasks were not added: a late job.
   */
  readonly stale?: true | undefined;
};

/**
 * Sink failures that another attempt cannot fix: the page itself cannot be stored, or the run the
 * job names is not one the sink keeps (a job written by hand, or a run `capital state reset` forgot).
 */
const permanentSinkCodes = new Set(['RECORD_NOT_SERIALISABLE', 'RECORD_KEY_INVALID', 'RUN_NOT_FOUND']);

/**
 * Runs one crawl job, in the order that makes a crash at any point lose nothing:
 *
 *     permit ──► handler (once) ──► sink.write (durable) ──► add next tasks ──► return
 *
 * The job completes only when this returns. A crash before that leaves the job active; its lock
 * runs out and BullMQ's stalled-job check runs it again. The replay fetches the page again, the
 * idempotent sink absorbs the second write, and next tasks already added are ignored by id.
 *
 * A 429's `Retry-After` also pauses the limiter key, so every worker sharing it waits. A pause
 * longer than `deferAfterMs` defers the job (`RunDeferredError`) rather than failing an attempt.
 *
 * @throws an error shaped for BullMQ by {@link attemptError}: retried with backoff when
 * transient, failed at once (`UnrecoverableError`) when permanent.
 */
export async function runCrawlJob(
  job: CrawlJobRun,
  signal: AbortSignal,
  context: RunCrawlJobContext,
): Promise<CrawlJobOutcome> {
  let data: ReturnType<typeof parseCrawlJobData>;
  let key: string;
  try {
    data = parseCrawlJobData(job.data, job.id);
    key = taskKey(data.task);
  } catch (error) {
    throw unrecoverable(toError(error));
  }
  const { task, depth } = data;
  const label = labelTask(task, key);
  const attempt = job.attemptsMade + 1;
  const fail = (error: unknown) =>
    attemptError(error, {
      label,
      attempt,
      attempts: job.opts.attempts ?? 1,
      maxRetryAfterMs: context.maxRetryAfterMs,
    });

  let entry: ConnectorEntry;
  try {
    entry = await context.connectorNamed(data.connector, task);
  } catch (error) {
    throw fail(error);
  }
  try {
    entry.connector.checkTask?.(task);
  } catch (error) {
    throw unrecoverable(new InvalidCrawlJobError(job.id, toError(error).message));
  }
  const { limiter, sink } = entry;
  let limiterKey: LimiterKey | undefined;
  let result: Awaited<ReturnType<typeof runHandler>>;
  try {
    // Both refuse a job before anything is sent: a base URL the worker was not started with,
    // a credential reference its connector does not declare. Neither is retried.
    const baseUrl = chooseBaseUrl(data.baseUrl, context.baseUrls, entry.connector);
    limiterKey = entry.limiterKey(task);
    // The permit goes to the handler too: its HTTP client spends one that grew too old before
    // the request was written, and takes another (see `permitDispatcher`).
    const granted = limiter
      ? await acquireSendPermit(limiter, limiterKey, {
          signal,
          deferAfterMs: context.deferAfterMs,
          now: context.now,
        })
      : undefined;
    const handler = entry.handlerFor(baseUrl);
    result = await runHandler(
      handler,
      task,
      {
        signal,
        logger: context.logger,
        taskKey: key,
        attempt,
        limiterWaitMs: granted?.waitMs,
        permit: granted?.permit,
      },
      label,
    );
  } catch (error) {
    // A deferral of the limiter's own (a pause another worker set) is told to the worker as is.
    if (isRunDeferred(error)) throw error;
    const deferral = deferralOf(error, context.deferAfterMs, context.now(), label);
    // A deferred job's key stays paused as long as the API asked (capped), for every worker.
    const retryAfterMs = deferral?.waitMs ?? retryAfterOf(error);
    if (limiter && retryAfterMs !== undefined && limiterKey !== undefined) {
      // Tell every worker on this key, not only this job's next attempt.
      // Of a layered key, the layer the error names refused; otherwise the first, the widest.
      const pausedKey = pauseKeyOf(limiterKey, error);
      await Promise.resolve(limiter.pause(pausedKey, retryAfterMs)).catch((pauseError: unknown) =>
        context.logger.warn('Could not pause the shared limiter', {
          limiterKey: pausedKey,
          error: String(pauseError),
        }),
      );
    }
    // No attempt is spent on it: the worker delays the job until the API's pause is over.
    if (deferral) throw redactError(deferral);
    throw fail(error);
  }

  const [firstNext] = result.nextTasks;
  if (firstNext !== undefined && depth + 1 > context.maxDepth) {
    throw fail(new MaxDepthExceededError(labelTask(firstNext), context.maxDepth));
  }
  let next: CrawlJob[];
  try {
    const jobOptions = inheritedJobOptions(job.opts);
    next = result.nextTasks.map((nextTask) =>
      crawlJob(data.connector, nextTask, depth + 1, {
        baseUrl: data.baseUrl,
        jobOptions,
        runId: data.runId,
      }),
    );
  } catch (error) {
    throw fail(error);
  }

  try {
    // Under the crawl's run, when `capital enqueue --sink` opened one (the sink opens none then).
    const page = {
      key,
      task,
      data: result.data,
      nextTasks: result.nextTasks,
      fetchedAt: context.now(),
      ...(data.runId === undefined ? {} : { runId: data.runId }),
    };
    const receipt = await timeSinkWrite(sink.constructor.name, () => sink.write(page));
    if (receipt.stale === true) {
      // Not a failure: retrying would only be dropped again. Its next tasks belong to that run too.
      context.logger.warn('Dropped the page of a run that is over (finished, or superseded by a newer run)', {
        runId: data.runId,
        taskKey: key,
      });
      return { key, records: 0, nextTasks: 0, stale: true };
    }
  } catch (error) {
    throw fail(storeError(error));
  }
  if (next.length > 0) {
    try {
      await context.enqueue(next);
    } catch (error) {
      // The page is stored; a retry stores it again (idempotently) and adds the tasks then.
      throw fail(
        new TransientError(`Could not add the next tasks: ${toError(error).message}`, { cause: error }),
      );
    }
  }
  return {
    key,
    records: result.data.length,
    nextTasks: next.length,
    ...(result.expect === undefined ? {} : { expect: result.expect }),
  };
}

/** A sink failure, as retryable unless the page itself cannot be stored. */
function storeError(thrown: unknown): Error {
  const error = toError(thrown);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && permanentSinkCodes.has(code)) return error;
  if (isRetryable(error)) return error;
  // A database that is down for longer than the sink's own retries is worth the job's backoff.
  return new TransientError(error.message, { code: 'SINK_WRITE_FAILED', cause: error });
}
