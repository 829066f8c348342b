import { InvalidOptionError } from '@capital/core';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type FailedCrawlJob, readFailedJobs } from './failed-jobs.js';
import {
  type QueueConnection,
  type QueueConnectionOptions,
  redactRedisUrl,
  resolveQueueConnection,
  withQueue,
} from './queue-connection.js';
import { countStalledJobs } from './stalled-jobs.js';
import { QueueNotFoundError } from './worker-errors.js';

/** How many jobs a crawl's queue holds in each state. */
export type CrawlCounts = {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly prioritized: number;
  readonly waitingChildren: number;
  readonly completed: number;
  readonly failed: number;
};

/**
 * Where a crawl stands, in one word:
 * - `running`: tasks wait or run.
 * - `stalled`: tasks are active, but the worker of every one of them stopped (their locks lapsed),
 *   so nothing moves until a live worker's stalled-job check moves them back to waiting.
 * - `complete`: nothing waits or runs, and no task failed.
 * - `failed`: nothing waits or runs, and tasks failed for good (`capital failed` lists them).
 */
export type CrawlState = 'running' | 'stalled' | 'complete' | 'failed';

/** Where a crawl stands. */
export type CrawlStatus = CrawlCounts & {
  /** No task waits, none is delayed for a retry, none runs: nothing more will happen. */
  readonly complete: boolean;
  /** The crawl's state: `complete` and `failed` are both complete. */
  readonly state: CrawlState;
  /** Active jobs whose lock lapsed or is about to: their worker stopped (see `isLockLapsing`). */
  readonly stalled: number;
  /** Jobs completed per second over the last `windowMs` (or since the first of them). */
  readonly pagesPerSecond: number;
  /**
   * When the delayed jobs (retries waiting out their backoff, tasks deferred until the API's
   * pause ends) run again, in ms since the epoch: the first and the last. Absent with none.
   */
  readonly delayedUntil?: { readonly first: number; readonly last: number } | undefined;
};

/** A crawl's status with its most recent failures. */
export type CrawlReport = CrawlStatus & {
  /** The most recent failures, the latest first (`failed` counts them all). */
  readonly failures: readonly FailedCrawlJob[];
};

/** What {@link readCrawlStatus} needs besides the queue. */
export type ReadCrawlStatusOptions = {
  /**
   * The span over which `pagesPerSecond` is measured, in ms.
   * @default 10_000
   */
  readonly windowMs?: number | undefined;
  /**
   * The workers' lock duration (`capital worker --lock-duration`), in ms: an active job whose
   * lock has less than a quarter of it left counts as stalled.
   * @default 30_000
   */
  readonly lockDurationMs?: number | undefined;
};

/** Options of {@link crawlStatus}. */
export type CrawlStatusOptions = QueueConnectionOptions &
  ReadCrawlStatusOptions & {
    /**
     * Failed jobs to report with the status, the most recent first.
     * @default 10
     */
    readonly failuresToReport?: number | undefined;
  };

/**
 * The state of a crawl whose counts and stalled jobs were read.
 * @example crawlStateOf({ waiting: 0, active: 0, delayed: 0, prioritized: 0, waitingChildren: 0, completed: 0, failed: 3 }, 0) // 'failed'
 */
export function crawlStateOf(counts: CrawlCounts, stalled: number): CrawlState {
  if (isCrawlComplete(counts)) return counts.failed > 0 ? 'failed' : 'complete';
  // Every active task stalled: no task runs, whatever waits.
  return counts.active > 0 && stalled >= counts.active ? 'stalled' : 'running';
}

/**
 * Whether a crawl is over: its frontier is empty (nothing waiting, delayed or prioritized) and
 * nothing is active. A worker adds a job's next tasks before the job completes and BullMQ reads
 * all counts in one script, so a crawl never looks complete between a page and its next tasks.
 * A job of a crashed worker stays active until a live worker recovers it, so it holds this off.
 *
 * @example isCrawlComplete({ waiting: 0, active: 0, delayed: 0, prioritized: 0, waitingChildren: 0, completed: 49, failed: 0 }) // true
 */
export function isCrawlComplete(counts: CrawlCounts): boolean {
  return counts.waiting + counts.active + counts.delayed + counts.prioritized + counts.waitingChildren === 0;
}

/**
 * Reads the counts of an open queue, atomically (one script).
 * @example const counts = await readCrawlCounts(queue);
 */
export async function readCrawlCounts(queue: Queue): Promise<CrawlCounts> {
  const counts = await queue.getJobCounts(
    'waiting',
    'active',
    'delayed',
    'prioritized',
    'waiting-children',
    'completed',
    'failed',
  );
  return {
    waiting: counts.waiting ?? 0,
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    prioritized: counts.prioritized ?? 0,
    waitingChildren: counts['waiting-children'] ?? 0,
    completed: counts.completed ?? 0,
    failed: counts.failed ?? 0,
  };
}

/**
 * Pages per second from the completed set, which BullMQ scores by `finishedOn`: the jobs that
 * finished in the last `windowMs`, over the time since the first of them (so that a crawl a few
 * seconds old is not averaged over the whole window).
 */
export async function readPagesPerSecond(
  redis: Redis,
  completedKey: string,
  windowMs: number,
  now = Date.now(),
): Promise<number> {
  const since = now - windowMs;
  const [count, first] = await Promise.all([
    redis.zcount(completedKey, since, '+inf'),
    redis.zrangebyscore(completedKey, since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1),
  ]);
  if (count === 0 || first[1] === undefined) return 0;
  const spanMs = Math.max(now - Number(first[1]), 1000);
  return count / (spanMs / 1000);
}

/**
 * The keys a queue has once a task was enqueued on it, or a worker or `capital enqueue` opened it
 * (`meta`): `meta` outlives the jobs, which BullMQ removes some time after they complete.
 */
const queueKeyTypes = [
  'meta',
  'id',
  'wait',
  'paused',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;

/**
 * Throws unless the open queue exists: an empty queue and a mistyped name look alike in the
 * counts (all zero), and a crawl that never began must not read as complete.
 * @throws {QueueNotFoundError} when none of the queue's keys exists.
 */
export async function assertQueueExists(
  redis: Redis,
  queue: Queue,
  connection: QueueConnection,
): Promise<void> {
  const keys = queueKeyTypes.map((type) => queue.keys[type] ?? '');
  if ((await redis.exists(...keys)) > 0) return;
  throw new QueueNotFoundError(connection.queue, connection.prefix, redactRedisUrl(connection.redis));
}

/**
 * Reads where the crawl of an open queue stands: counts, stalled jobs, state, pages per second.
 * @example const status = await readCrawlStatus(queue, redis, { lockDurationMs: 2000 });
 */
export async function readCrawlStatus(
  queue: Queue,
  redis: Redis,
  options: ReadCrawlStatusOptions = {},
): Promise<CrawlStatus> {
  const counts = await readCrawlCounts(queue);
  const stalled =
    counts.active === 0 ? 0 : await countStalledJobs(redis, queue, options.lockDurationMs ?? 30_000);
  const pagesPerSecond = await readPagesPerSecond(
    redis,
    queue.keys.completed ?? '',
    options.windowMs ?? 10_000,
  );
  const delayedUntil =
    counts.delayed === 0 ? undefined : await readDelayedUntil(redis, queue.keys.delayed ?? '');
  return {
    ...counts,
    complete: isCrawlComplete(counts),
    state: crawlStateOf(counts, stalled),
    stalled,
    pagesPerSecond,
    ...(delayedUntil === undefined ? {} : { delayedUntil }),
  };
}

/**
 * When the first and the last delayed job of a queue run again. BullMQ scores its delayed set by
 * that time × 0x1000 (plus a counter that keeps jobs of the same millisecond in order).
 */
export async function readDelayedUntil(
  redis: Redis,
  delayedKey: string,
): Promise<{ first: number; last: number } | undefined> {
  const [first, last] = await Promise.all([
    redis.zrange(delayedKey, 0, 0, 'WITHSCORES'),
    redis.zrange(delayedKey, -1, -1, 'WITHSCORES'),
  ]);
  const at = (reply: string[]) => Math.floor(Number(reply[1]) / 0x1000);
  if (first[1] === undefined || last[1] === undefined) return undefined;
  return { first: at(first), last: at(last) };
}

/**
 * Checks the options {@link readCrawlStatus} takes.
 * @throws {InvalidOptionError} for a window or lock duration that is not a whole number of ms ≥ 1.
 */
export function checkReadCrawlStatusOptions(options: ReadCrawlStatusOptions): void {
  for (const name of ['windowMs', 'lockDurationMs'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new InvalidOptionError(name, `must be a whole number of ms ≥ 1, got ${value}.`);
    }
  }
}

/**
 * Where a crawl stands: its counts, its state, its stalled jobs, its pages per second, and its
 * most recent failures.
 * @throws {QueueNotFoundError} when no queue of that name exists under the prefix.
 * @throws {QueueUnavailableError} when Redis does not answer within `connectTimeoutMs`.
 * @example const { state, failed } = await crawlStatus({ redis: 'redis://127.0.0.1:6379', queue: 'wtd-inc' });
 */
export async function crawlStatus(options: CrawlStatusOptions = {}): Promise<CrawlReport> {
  const connection = resolveQueueConnection(options);
  checkReadCrawlStatusOptions(options);
  return withQueue(
    connection,
    async (queue) => {
      const redis = new Redis(connection.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      try {
        await assertQueueExists(redis, queue, connection);
        const status = await readCrawlStatus(queue, redis, options);
        const failures = await readFailedJobs(queue, Math.min(status.failed, options.failuresToReport ?? 10));
        return { ...status, failures };
      } finally {
        redis.disconnect();
      }
    },
    { readOnly: true },
  );
}
