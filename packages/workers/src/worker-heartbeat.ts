import { hostname } from 'node:os';
import { type Logger, recordMetric } from '@capital/core';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { readCrawlCounts } from './crawl-status.js';

/** What a worker counts about itself, published with each heartbeat. */
export type WorkerCounters = {
  /** Jobs completed: pages fetched, stored and followed. */
  readonly pages: number;
  readonly records: number;
  /** Attempts that failed and were scheduled again. */
  readonly retries: number;
  /** Jobs that failed for good. */
  readonly failed: number;
  /** Attempts the API answered 429. */
  readonly throttled: number;
};

/** One worker as its latest heartbeat describes it. */
export type WorkerHeartbeat = WorkerCounters & {
  readonly id: string;
  readonly concurrency: number;
  /** The rate limit in force per connector, as `9/1s` or `off`. */
  readonly limits: Readonly<Record<string, string>>;
  readonly startedAt: number;
  readonly updatedAt: number;
};

/** Options of {@link startHeartbeat}. */
export type HeartbeatOptions = {
  /** The Redis URL of the queue: the heartbeats use a connection of their own (never blocked). */
  readonly redis: string;
  /** The worker's queue: its keys name the heartbeats', its counts feed `capital.queue.jobs`. */
  readonly queue: Queue;
  readonly counters: () => WorkerCounters;
  readonly limits: () => Readonly<Record<string, string>>;
  readonly concurrency: number;
  readonly logger: Logger;
  /**
   * Between heartbeats, in ms; a worker silent for three of them drops out of the dashboard.
   * @default 1000
   */
  readonly intervalMs?: number;
};

/** The Redis keys of a queue's heartbeats: a sorted set of worker ids by last beat, a hash per worker. */
export function heartbeatKeys(queue: Pick<Queue, 'toKey'>): { index: string; worker(id: string): string } {
  // Beside BullMQ's own keys (`<prefix>:<queue>:…`), so that obliterating a queue removes them too.
  return { index: queue.toKey('capital-workers'), worker: (id) => queue.toKey(`capital-worker:${id}`) };
}

/**
 * Publishes a worker's counters to Redis every `intervalMs` (one `MULTI`: a hash with a TTL of
 * three intervals, and the worker's id in the queue's index), and samples the queue's counts
 * into `capital.queue.jobs`. Cheap: two round trips a second per worker, on one connection. Failures are logged
 * once and retried at the next beat; they never stop the worker.
 *
 * @returns `stop`, which writes a last beat and stops.
 */
export function startHeartbeat(options: HeartbeatOptions): { readonly id: string; stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 1000;
  const id = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const keys = heartbeatKeys(options.queue);
  const startedAt = Date.now();
  const client = new Redis(options.redis, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {}); // reported by the beat that fails
  let warned = false;
  const beat = async () => {
    try {
      const now = Date.now();
      const counts = await readCrawlCounts(options.queue);
      for (const [state, count] of Object.entries(counts)) {
        recordMetric('capital.queue.jobs', count, {
          'capital.queue': options.queue.name,
          'capital.queue.state': state,
        });
      }
      const heartbeat = {
        ...options.counters(),
        concurrency: options.concurrency,
        limits: JSON.stringify(options.limits()),
        startedAt,
        updatedAt: now,
      };
      await client
        .multi()
        .hset(keys.worker(id), heartbeat)
        .pexpire(keys.worker(id), intervalMs * 3)
        .zadd(keys.index, now, id)
        .zremrangebyscore(keys.index, '-inf', now - intervalMs * 3)
        .exec();
      warned = false;
    } catch (error) {
      if (!warned) options.logger.warn('Could not publish the heartbeat', { error: String(error) });
      warned = true;
    }
  };
  let running = beat();
  const timer = setInterval(() => {
    running = running.then(beat);
  }, intervalMs);
  timer.unref();
  return {
    id,
    stop: async () => {
      clearInterval(timer);
      await running;
      await beat();
      client.disconnect();
    },
  };
}

/**
 * The heartbeats of a queue's live workers (those that beat within the last three intervals),
 * by id.
 * @example const workers = await readHeartbeats(redis, queue);
 */
export async function readHeartbeats(
  redis: Redis,
  queue: Pick<Queue, 'toKey'>,
  intervalMs = 1000,
): Promise<WorkerHeartbeat[]> {
  const keys = heartbeatKeys(queue);
  const client = redis;
  const ids = await client.zrangebyscore(keys.index, Date.now() - intervalMs * 3, '+inf');
  const hashes = await Promise.all(ids.map((id) => client.hgetall(keys.worker(id))));
  return ids.flatMap((id, index) => {
    const hash = hashes[index] ?? {};
    if (hash.updatedAt === undefined) return [];
    const number = (name: string) => Number(hash[name] ?? 0) || 0;
    let limits: Record<string, string> = {};
    try {
      limits = JSON.parse(hash.limits ?? '{}') as Record<string, string>;
    } catch {
      // A hash written by another version: no limits shown.
    }
    return [
      {
        id,
        pages: number('pages'),
        records: number('records'),
        retries: number('retries'),
        failed: number('failed'),
        throttled: number('throttled'),
        concurrency: number('concurrency'),
        limits,
        startedAt: number('startedAt'),
        updatedAt: number('updatedAt'),
      },
    ];
  });
}
