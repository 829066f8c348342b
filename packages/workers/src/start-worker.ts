import {
  type Connector,
  formatRate,
  isRunDeferred,
  RedisLimiter,
  recordRetry,
  resolveRetryPolicy,
  retryCause,
  type Task,
} from '@capital/core';
import type { Sink, SinkSummary } from '@capital/sinks';
import { DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ConnectorCache } from './connector-cache.js';
import { crawlBackoff } from './crawl-backoff.js';
import { type CrawlJobData, parseCrawlJobData } from './crawl-job.js';
import { finishRunsIfCrawlDone, noteOpenRun } from './finish-run.js';
import { untilReady } from './queue-connection.js';
import { type CrawlJobOutcome, runCrawlJob } from './run-crawl-job.js';
import { resolveStartWorkerOptions, type StartWorkerOptions } from './start-worker-options.js';
import { startHeartbeat } from './worker-heartbeat.js';

/** What a worker has done since it started. */
export type CrawlWorkerStats = {
  /** Pages fetched, stored and followed: jobs completed by this worker. */
  readonly pages: number;
  readonly records: number;
  /** Attempts that failed and were scheduled again. */
  readonly retries: number;
  /** Jobs that failed for good here. */
  readonly failed: number;
  /** Attempts the API answered 429. */
  readonly throttled: number;
  /** Jobs delayed because the API asked for a pause beyond `deferAfterMs` (no attempt spent). */
  readonly deferred: number;
};

/** A running worker. */
export type CrawlWorker = {
  /** The queue it takes jobs from. */
  readonly queue: string;
  stats(): CrawlWorkerStats;
  /**
   * Takes no new job, lets the jobs in flight finish (fetched, stored, followed), then closes the
   * sinks, limiters and connections. Idempotent.
   * @returns the final counts and what each sink reported.
   * @throws the first error closing a sink threw, once everything else is closed.
   */
  close(): Promise<CrawlWorkerStats & { readonly sinks: readonly SinkSummary[] }>;
};

/**
 * Starts a worker on a crawl's queue: it takes jobs (one task each) and, per job, takes a permit
 * from the shared limiter, calls the connector's handler once, writes the page to the sink,
 * adds the next tasks, and only then completes the job (see `runCrawlJob`). Transient failures
 * are retried by BullMQ with the crawl's backoff; permanent ones fail the job at once. Jobs of a
 * worker that dies are taken again by the others once their lock runs out.
 *
 * Resolves once connected to Redis.
 * @throws {QueueUnavailableError} when Redis does not answer within `connectTimeoutMs`.
 * @throws {InvalidOptionError} for options out of range.
 * @example
 * const worker = await startWorker({ redis: 'redis://127.0.0.1:6379', queue: 'wtd-inc',
 *   sink: (connector) => new PostgresSink({ connection, stream: 'wtd', recordKey: connector.recordKey }),
 *   loadConnector: async () => connector });
 * process.once('SIGTERM', () => void worker.close());
 */
export async function startWorker(options: StartWorkerOptions): Promise<CrawlWorker> {
  const config = resolveStartWorkerOptions(options);
  const { connection, logger } = config;
  const redis = { url: connection.redis };
  const policy = resolveRetryPolicy({ ...config.backoff, retries: 0 });
  const stats = { pages: 0, records: 0, retries: 0, failed: 0, throttled: 0, deferred: 0 };
  const limits: Record<string, string> = {};
  const openSink = typeof options.sink === 'function' ? options.sink : () => options.sink as Sink;
  const connectors = new ConnectorCache({
    load: options.loadConnector,
    openSink,
    openLimiter: (connector: Connector) => {
      const rate = config.rate ?? connector.defaultRate;
      limits[connector.name] = rate === false ? 'off' : typeof rate === 'string' ? rate : formatRate(rate);
      if (rate === false) return undefined;
      // `auto`: the rate is learnt from the API, starting low (see `AdaptiveRateOptions`).
      const auto = rate === 'auto';
      return new RedisLimiter({
        redis: connection.redis,
        rate: auto ? '1/1s' : rate,
        prefix: config.limiterPrefix,
        logger,
        ...(auto ? { adaptive: {} } : {}),
      });
    },
    runtime: { resolveCredential: config.resolveCredential, timeoutMs: config.timeoutMs, logger },
    allowedCredentials: config.allowedCredentials,
    keySecret: config.keySecret,
  });
  // Next tasks are added through a queue of its own: the worker's connections block on BZPOPMIN.
  const queue = new Queue<CrawlJobData>(connection.queue, { connection: redis, prefix: connection.prefix });
  const context = {
    connectorNamed: (name: string, task: Task) => connectors.get(name, task),
    enqueue: (jobs: readonly { name: string; data: CrawlJobData; opts: object }[]) =>
      queue.addBulk([...jobs]),
    baseUrls: config.baseUrls,
    maxDepth: config.maxDepth,
    maxRetryAfterMs: policy.maxRetryAfterMs,
    deferAfterMs: config.deferAfterMs,
    logger,
    now: Date.now,
  };
  const worker = new Worker<CrawlJobData, CrawlJobOutcome>(
    connection.queue,
    // Three parameters: BullMQ hands an AbortSignal only to processors that declare one.
    async (job, token, signal) => {
      let outcome: CrawlJobOutcome;
      try {
        outcome = await runCrawlJob(job, signal ?? new AbortController().signal, context);
      } catch (error) {
        if (!isRunDeferred(error) || token === undefined) throw error;
        // BullMQ's pattern for delaying a job from its processor: move it with the lock's token,
        // then throw DelayedError so the worker neither completes nor fails it (no attempt spent).
        await job.moveToDelayed(error.resumeAt, token);
        stats.deferred += 1;
        logger.warn(`${error.message} (the job is delayed until then)`);
        throw new DelayedError();
      }
      stats.pages += 1;
      stats.records += outcome.records;
      return outcome;
    },
    {
      connection: redis,
      prefix: connection.prefix,
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
      settings: { backoffStrategy: crawlBackoff(config.backoff) },
      autorun: false,
    },
  );
  worker.on('failed', (job, error) => {
    const final =
      error instanceof UnrecoverableError ||
      (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
    if (retryCause(error) === 'http_429') stats.throttled += 1;
    if (final) stats.failed += 1;
    else {
      stats.retries += 1;
      recordRetry(error);
    }
    logger.warn(final ? `${error.message} (the task is in the failed set)` : `${error.message}; retrying`);
  });
  // The claims to finish runs, on a connection of their own (the worker's block on BZPOPMIN).
  let claimsClient: Redis | undefined;
  /** Finishes under way, which closing waits for (they need the sinks and the claims). */
  const finishes = new Set<Promise<unknown>>();
  /** The runs this worker noted as open on the queue (once each). */
  const noted = new Set<string>();
  const claims = (): Redis => {
    if (claimsClient === undefined) {
      claimsClient = new Redis(connection.redis, { maxRetriesPerRequest: 1 });
      claimsClient.on('error', () => {});
    }
    return claimsClient;
  };
  // After a job of a run moved to completed: the crawl may be over, and its run to finish.
  worker.on('completed', (job) => {
    let data: CrawlJobData;
    try {
      data = parseCrawlJobData(job.data, job.id);
    } catch {
      return;
    }
    const { runId } = data;
    if (runId === undefined) return;
    const finishContext = { queue, redis: claims(), logger };
    const finishing = (async () => {
      if (!noted.has(runId)) {
        await noteOpenRun(runId, data.connector, finishContext);
        noted.add(runId);
      }
      await finishRunsIfCrawlDone((name) => connectors.loaded(name), finishContext);
    })()
      .catch((error: unknown) =>
        logger.warn(`Could not finish run ${runId}; the next task to complete tries again`, {
          error: String(error),
        }),
      )
      .finally(() => finishes.delete(finishing));
    finishes.add(finishing);
  });
  worker.on('stalled', (jobId) =>
    logger.warn('A job stalled (its worker stopped); running it again', { jobId }),
  );
  let ready = false;
  let lastError: unknown;
  // Before the worker is ready, connection errors repeat as ioredis retries: keep the last one
  // for the timeout's message rather than log each.
  const onError = (what: string) => (error: Error) => {
    lastError = error;
    if (ready) logger.warn(`${what} error`, { error: error.message });
  };
  worker.on('error', onError('Worker'));
  queue.on('error', onError('Queue'));

  await untilReady(
    Promise.all([worker.waitUntilReady(), queue.waitUntilReady()]),
    connection,
    async () => {
      await Promise.allSettled([worker.close(true), queue.close()]);
    },
    () => lastError,
  );
  ready = true;
  // Per-worker counters for `capital dashboard`, and the queue's depth for the metrics.
  const heartbeat = startHeartbeat({
    redis: connection.redis,
    queue,
    counters: () => ({ ...stats }),
    limits: () => limits,
    concurrency: config.concurrency,
    logger,
  });
  const running = worker
    .run()
    .catch((error: unknown) => logger.error('The worker stopped', { error: String(error) }));

  let closing: Promise<CrawlWorkerStats & { sinks: SinkSummary[] }> | undefined;
  return {
    queue: connection.queue,
    stats: () => ({ ...stats }),
    close: () => {
      closing ??= (async () => {
        try {
          // Waits for the jobs in flight: they complete (stored, followed) before anything closes.
          await worker.close();
          await running;
          await Promise.allSettled([...finishes]);
        } finally {
          await heartbeat.stop();
          await queue.close().catch(() => {});
          claimsClient?.disconnect();
        }
        const sinks = await connectors.close();
        return { ...stats, sinks };
      })();
      return closing;
    },
  };
}
