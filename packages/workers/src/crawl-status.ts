import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type QueueConnectionOptions, resolveQueueConnection, withQueue } from './queue-connection.js';

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

/** Where a crawl stands. */
export type CrawlStatus = CrawlCounts & {
  /** No task waits, none is delayed for a retry, none runs: nothing more will happen. */
  readonly complete: boolean;
  /** Jobs completed per second over the last `windowMs` (or since the first of them). */
  readonly pagesPerSecond: number;
};

/** Options of {@link crawlStatus}. */
export type CrawlStatusOptions = QueueConnectionOptions & {
  /**
   * The span over which `pagesPerSecond` is measured, in ms.
   * @default 10_000
   */
  readonly windowMs?: number | undefined;
};

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
 * Where a crawl stands: its counts, whether it is complete, and its pages per second.
 * @throws {QueueUnavailableError} when Redis does not answer within `connectTimeoutMs`.
 * @example const { complete, failed } = await crawlStatus({ redis: 'redis://127.0.0.1:6379', queue: 'wtd-inc' });
 */
export async function crawlStatus(options: CrawlStatusOptions = {}): Promise<CrawlStatus> {
  const connection = resolveQueueConnection(options);
  return withQueue(
    connection,
    async (queue) => {
      const counts = await readCrawlCounts(queue);
      const redis = new Redis(connection.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      try {
        const pagesPerSecond = await readPagesPerSecond(
          redis,
          queue.keys.completed ?? '',
          options.windowMs ?? 10_000,
        );
        return { ...counts, complete: isCrawlComplete(counts), pagesPerSecond };
      } finally {
        redis.disconnect();
      }
    },
    { readOnly: true },
  );
}
