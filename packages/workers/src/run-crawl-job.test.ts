import {
  type Connector,
  CredentialRefusedError,
  type Handler,
  HttpStatusError,
  maxDeferralMs,
  type RateLimiter,
  RunDeferredError,
  type Task,
  TransientError,
  taskKey,
} from '@capital/core';
import { type Sink, SinkWriteError } from '@capital/sinks';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { BaseUrlPolicy } from './choose-base-url.js';
import { crawlJob } from './crawl-job.js';
import { crawlJobOptions } from './crawl-job-options.js';
import {
  type ConnectorEntry,
  type CrawlJobRun,
  type RunCrawlJobContext,
  runCrawlJob,
} from './run-crawl-job.js';
import { BaseUrlRefusedError } from './worker-errors.js';

type PageTask = Task & { type: 'test.page'; page: number; credentials: string };
const pageTask = (page: number): PageTask => ({ type: 'test.page', page, credentials: 'env:TEST_TOKEN' });

/** A world of fakes that writes down, in order, everything the job does. */
function world(
  options: {
    handler?: Handler;
    sinkError?: Error;
    /** The sink answers that the page's run is over, storing nothing. */
    stale?: boolean;
    enqueueError?: Error;
    maxDepth?: number;
    baseUrls?: BaseUrlPolicy;
    refuseCredential?: boolean;
    checkTask?: (task: Task) => Task;
    reservation?: { readonly waitMs?: number; readonly pausedForMs?: number };
  } = {},
) {
  const log: string[] = [];
  const pauses: [string, number][] = [];
  const enqueued: ReturnType<typeof crawlJob>[] = [];
  const written: unknown[] = [];
  const warnings: string[] = [];
  const baseUrls: (string | undefined)[] = [];
  const handler: Handler =
    options.handler ??
    (async (task) => {
      log.push(`handler ${task.page}`);
      const page = task.page as number;
      return { task, data: [{ id: `r${page}` }], nextTasks: page < 3 ? [pageTask(page + 1)] : [] };
    });
  const limiter = {
    reserve: async (key: string) => {
      log.push(`permit ${key}`);
      const { waitMs = 0, pausedForMs = 0 } = options.reservation ?? {};
      return { key, waitMs, pausedForMs, grantAt: 0, release: async () => log.push('release') };
    },
    pause: async (key: string, ms: number) => {
      pauses.push([key, ms]);
    },
  } as unknown as RateLimiter;
  const sink = {
    write: async (page: { key: string; data: readonly unknown[] }) => {
      log.push('write');
      if (options.sinkError) throw options.sinkError;
      if (options.stale) return { key: page.key, records: 0, stale: true };
      written.push(page);
      return { key: page.key, records: page.data.length };
    },
  } as unknown as Sink;
  const connector = {
    name: 'test',
    defaultBaseUrl: 'http://api.test',
    limiterKey: () => 'test:key',
    checkTask: options.checkTask,
  } as unknown as Connector;
  const entry: ConnectorEntry = {
    connector,
    sink,
    limiter,
    limiterKey: (task) => {
      if (options.refuseCredential) throw new CredentialRefusedError(String(task.credentials), ['env:OK']);
      return connector.limiterKey(task, { forCredential: () => 'unused' });
    },
    handlerFor: (baseUrl) => {
      baseUrls.push(baseUrl);
      return handler;
    },
  };
  const context: RunCrawlJobContext = {
    connectorNamed: async (name) => {
      if (name !== 'test') throw new Error(`no connector ${name}`);
      return entry;
    },
    enqueue: async (jobs) => {
      log.push(`enqueue ${jobs.length}`);
      if (options.enqueueError) throw options.enqueueError;
      enqueued.push(...jobs);
    },
    baseUrls: options.baseUrls ?? { default: undefined, allowed: [] },
    maxDepth: options.maxDepth ?? 100,
    maxRetryAfterMs: 60_000,
    deferAfterMs: 300_000,
    logger: {
      debug() {},
      info() {},
      warn: (message: string) => {
        warnings.push(message);
      },
      error() {},
    },
    now: () => 1_700_000_000_000,
  };
  return { log, pauses, enqueued, written, warnings, baseUrls, context };
}

function jobFor(task: PageTask, depth = 0, attemptsMade = 0, baseUrl?: string): CrawlJobRun {
  const job = crawlJob('test', task, depth, { baseUrl, jobOptions: crawlJobOptions({ attempts: 6 }) });
  return { id: job.opts.jobId, data: JSON.parse(JSON.stringify(job.data)), attemptsMade, opts: job.opts };
}

const signal = new AbortController().signal;

describe('runCrawlJob', () => {
  it("writes the page under the job's run, which its next tasks inherit", async () => {
    const { written, enqueued, context } = world();
    const job = crawlJob('test', pageTask(1), 0, { runId: '0a1b2c3d' });
    const run = {
      id: job.opts.jobId,
      data: JSON.parse(JSON.stringify(job.data)),
      attemptsMade: 0,
      opts: job.opts,
    };
    await runCrawlJob(run, signal, context);
    expect(written).toEqual([expect.objectContaining({ key: taskKey(pageTask(1)), runId: '0a1b2c3d' })]);
    expect(enqueued.map((next) => next.data.runId)).toEqual(['0a1b2c3d']);
  });

  it('writes a page of a job without a run with no run id, for the sink to open its own', async () => {
    const { written, context } = world();
    await runCrawlJob(jobFor(pageTask(1)), signal, context);
    expect(written[0]).not.toHaveProperty('runId');
  });

  it('takes a permit, calls the handler once, writes the page, then adds the next tasks', async () => {
    const { log, written, context } = world();
    const outcome = await runCrawlJob(jobFor(pageTask(1)), signal, context);
    expect(log).toEqual(['permit test:key', 'handler 1', 'write', 'enqueue 1']);
    expect(outcome).toEqual({ key: taskKey(pageTask(1)), records: 1, nextTasks: 1 });
    expect(written).toEqual([
      {
        key: taskKey(pageTask(1)),
        task: pageTask(1),
        data: [{ id: 'r1' }],
        nextTasks: [pageTask(2)],
        fetchedAt: 1_700_000_000_000,
      },
    ]);
  });

  it('adds next tasks one level deeper, keyed by their task keys, with the seed’s options and base URL', async () => {
    const { enqueued, context } = world();
    await runCrawlJob(jobFor(pageTask(1), 4, 0, 'http://api.test'), signal, context);
    expect(enqueued).toEqual([
      crawlJob('test', pageTask(2), 5, {
        baseUrl: 'http://api.test',
        jobOptions: crawlJobOptions({ attempts: 6 }),
      }),
    ]);
  });

  it('gives next tasks the run of their page, in their data and their job ids', async () => {
    const { enqueued, context } = world();
    const job = crawlJob('test', pageTask(1), 0, { runId: '0a1b2c3d' });
    await runCrawlJob(
      { id: job.opts.jobId, data: job.data, attemptsMade: 0, opts: job.opts },
      signal,
      context,
    );
    expect(enqueued.map((next) => [next.data.runId, next.opts.jobId])).toEqual([
      ['0a1b2c3d', `0a1b2c3d-${taskKey(pageTask(2))}`],
    ]);
  });

  it('adds nothing after the last page', async () => {
    const { log, context } = world();
    await runCrawlJob(jobFor(pageTask(3)), signal, context);
    expect(log).toEqual(['permit test:key', 'handler 3', 'write']);
  });

  it('adds the same job ids when a job is replayed, so BullMQ ignores the second add', async () => {
    const { enqueued, written, context } = world();
    await runCrawlJob(jobFor(pageTask(1)), signal, context);
    await runCrawlJob(jobFor(pageTask(1)), signal, context);
    expect(written).toHaveLength(2);
    expect(enqueued.map((job) => job.opts.jobId)).toEqual([taskKey(pageTask(2)), taskKey(pageTask(2))]);
  });

  it('completes a job whose run is over as stale, adding no next task, and says so', async () => {
    const { log, warnings, context } = world({ stale: true });
    const job = crawlJob('test', pageTask(1), 0, { runId: '0a1b2c3d' });
    const outcome = await runCrawlJob(
      { id: job.opts.jobId, data: job.data, attemptsMade: 0, opts: job.opts },
      signal,
      context,
    );
    expect(outcome).toEqual({ key: taskKey(pageTask(1)), records: 0, nextTasks: 0, stale: true });
    expect(log).toEqual(['permit test:key', 'handler 1', 'write']);
    expect(warnings).toEqual([expect.stringContaining('Dropped the page of a run that is over')]);
  });

  it('adds no next task when the page could not be stored, and asks for a retry', async () => {
    const { log, context } = world({ sinkError: new Error('connection terminated') });
    const error = await runCrawlJob(jobFor(pageTask(1)), signal, context).catch((e: unknown) => e);
    expect(log).toEqual(['permit test:key', 'handler 1', 'write']);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('attempt 1 of 6 failed: connection terminated');
  });

  it('fails at once a page whose records cannot be stored', async () => {
    const page = { key: 'k', task: pageTask(1), data: [], nextTasks: [], fetchedAt: 0 };
    const sinkError = new SinkWriteError(page, 'record 0 cannot be stored', {
      code: 'RECORD_NOT_SERIALISABLE',
    });
    const { context } = world({ sinkError });
    await expect(runCrawlJob(jobFor(pageTask(1)), signal, context)).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
  });

  it('asks for a retry when the next tasks cannot be added after the page was stored', async () => {
    const { written, context } = world({ enqueueError: new Error('Connection is closed.') });
    const error = await runCrawlJob(jobFor(pageTask(1)), signal, context).catch((e: unknown) => e);
    expect(written).toHaveLength(1);
    expect(error).toBeInstanceOf(TransientError);
  });

  it('pauses the limiter key for every worker on a 429 and retries after its Retry-After', async () => {
    const handler: Handler = async () => {
      throw new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 1500 });
    };
    const { pauses, written, context } = world({ handler });
    const error = await runCrawlJob(jobFor(pageTask(1)), signal, context).catch((e: unknown) => e);
    expect(pauses).toEqual([['test:key', 1500]]);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryAfterMs).toBe(1500);
    expect(written).toEqual([]);
  });

  it('defers a job whose 429 asks for longer than deferAfterMs, pausing the key that long, storing nothing', async () => {
    const handler: Handler = async () => {
      throw new HttpStatusError(429, 'Daily quota exceeded', { retryAfterMs: 3_600_000 });
    };
    const { pauses, written, enqueued, context } = world({ handler });
    const error = await runCrawlJob(jobFor(pageTask(1)), signal, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunDeferredError);
    expect(error).toMatchObject({ resumeAt: 1_700_000_000_000 + 3_600_000, taskKey: taskKey(pageTask(1)) });
    expect(pauses).toEqual([['test:key', 3_600_000]]);
    expect(written).toEqual([]);
    expect(enqueued).toEqual([]);
  });

  it('caps an absurd Retry-After: the job is deferred, and the key paused, for the longest deferral', async () => {
    const handler: Handler = async () => {
      throw new HttpStatusError(429, 'Too Many Requests', { retryAfterMs: 1e300 });
    };
    const { pauses, context } = world({ handler });
    const error = await runCrawlJob(jobFor(pageTask(1)), signal, context).catch((e: unknown) => e);
    expect(error).toMatchObject({ resumeAt: 1_700_000_000_000 + maxDeferralMs, waitMs: maxDeferralMs });
    expect(pauses).toEqual([['test:key', maxDeferralMs]]);
  });

  it('defers, calling no handler and giving the permit back, when another worker paused the key for longer', async () => {
    const { log, context } = world({ reservation: { waitMs: 3_600_000, pausedForMs: 3_599_000 } });
    const error = await runCrawlJob(jobFor(pageTask(1)), signal, context).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RUN_DEFERRED', resumeAt: 1_700_000_000_000 + 3_600_000 });
    expect(log).toEqual(['permit test:key', 'release']);
  });

  it('fails at once on a permanent error, storing nothing, with a reason that names the task', async () => {
    const handler: Handler = async () => {
      throw new HttpStatusError(401, 'Invalid API token.');
    };
    const { written, context } = world({ handler });
    const error = await runCrawlJob(jobFor(pageTask(2)), signal, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toBe(
      `Task ${taskKey(pageTask(2)).slice(0, 12)} (test.page page 2) failed after 1 attempt: HTTP 401: Invalid API token.`,
    );
    expect(written).toEqual([]);
  });

  it('counts the attempt from the job, so the last one fails the task', async () => {
    const handler: Handler = async () => {
      throw new TransientError('timed out');
    };
    const { context } = world({ handler });
    const error = await runCrawlJob(jobFor(pageTask(1), 0, 5), signal, context).catch((e: unknown) => e);
    expect((error as Error).message).toContain('failed after 6 attempts: timed out');
  });

  it('fails at once, calling no handler, a job whose data is not a crawl job', async () => {
    const { log, context } = world();
    const job = { id: 'x', data: { hello: 'world' }, attemptsMade: 0, opts: {} };
    await expect(runCrawlJob(job, signal, context)).rejects.toThrow(UnrecoverableError);
    expect(log).toEqual([]);
  });

  it('fails at once a job naming a connector this worker cannot load', async () => {
    const { context } = world();
    const job = { ...jobFor(pageTask(1)), data: { connector: 'elsewhere', task: pageTask(1), depth: 0 } };
    const error = await runCrawlJob(job, signal, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toContain('no connector elsewhere');
  });

  it('fails at once, storing nothing, a page whose next tasks go beyond the maximum depth', async () => {
    const { log, context } = world({ maxDepth: 2 });
    const error = await runCrawlJob(jobFor(pageTask(1), 2), signal, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toContain('beyond maxDepth 2');
    expect(log).toEqual(['permit test:key', 'handler 1']);
  });

  it('sends a job without a base URL to the worker’s, and one with an allowed base URL there', async () => {
    const { baseUrls, context } = world({
      baseUrls: { default: 'http://own', allowed: ['http://own', 'http://second/api'] },
    });
    await runCrawlJob(jobFor(pageTask(3)), signal, context);
    await runCrawlJob(jobFor(pageTask(3), 0, 0, 'http://second/api/'), signal, context);
    await runCrawlJob(jobFor(pageTask(3), 0, 0, 'http://api.test'), signal, context);
    expect(baseUrls).toEqual(['http://own', 'http://second/api', 'http://api.test']);
  });

  it.each([
    ['a worker without base URLs', { default: undefined, allowed: [] }],
    ['a worker with others', { default: 'http://own', allowed: ['http://own'] }],
  ])(
    'refuses at once, before any permit or request, a job whose base URL %s was not given',
    async (_what, policy) => {
      const { log, context } = world({ baseUrls: policy });
      const error = await runCrawlJob(
        jobFor(pageTask(1), 0, 0, 'http://127.0.0.1:9/collect'),
        signal,
        context,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnrecoverableError);
      expect((error as Error).message).toContain('Refused the base URL "http://127.0.0.1:9/collect"');
      expect(((error as Error).cause as Error).cause).toBeInstanceOf(BaseUrlRefusedError);
      expect(log).toEqual([]);
    },
  );

  it('refuses at once, before any permit or request, a task whose credential reference is not allowed', async () => {
    const { log, context } = world({ refuseCredential: true });
    const error = await runCrawlJob(jobFor(pageTask(1)), signal, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toContain('Refused the credential reference');
    expect(log).toEqual([]);
  });

  it('fails at once, before any permit or request, a job whose task its connector rejects', async () => {
    const { log, context } = world({
      checkTask: () => {
        throw new Error('Not a test.page task: `page` is not a whole number.');
      },
    });
    const error = await runCrawlJob(jobFor(pageTask(1)), signal, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toMatch(/^Job \w+ is not a crawl job: Not a test.page task: `page`/);
    expect(log).toEqual([]);
  });
});
