import { parseRate } from '@capital/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type CrawlStatus, readCrawlStatus } from './crawl-status.js';
import { type FailedCrawlJob, readFailedJobs } from './failed-jobs.js';
import type { QueueConnection } from './queue-connection.js';
import { readHeartbeats, type WorkerHeartbeat } from './worker-heartbeat.js';

/** A worker as the dashboard shows it. */
export type DashboardWorker = WorkerHeartbeat & {
  /** Pages per second over the last few heartbeats. */
  readonly pagesPerSecond: number;
  /** Requests (attempts) per second over the last few heartbeats. */
  readonly requestsPerSecond: number;
};

/** One queue as the dashboard shows it. */
export type DashboardQueue = CrawlStatus & {
  readonly name: string;
  readonly workers: readonly DashboardWorker[];
  /** Requests per second of all its workers, against the limit they share (permits per second). */
  readonly limiter: {
    readonly requestsPerSecond: number;
    readonly limit: string;
    readonly limitPerSecond: number | null;
  };
  readonly throttled: number;
  readonly retries: number;
  readonly failures: readonly FailedCrawlJob[];
};

/** What `GET /api/state` answers. */
export type DashboardState = { readonly at: number; readonly queues: readonly DashboardQueue[] };

type Sample = { readonly at: number; readonly pages: number; readonly requests: number };

/** How far back the per-worker rates look, in ms. */
const rateWindowMs = 5000;

/**
 * Reads the dashboard's figures from Redis (`capital dashboard` polls it): per queue its counts and state (`readCrawlStatus`),
 * its failures (`readFailedJobs`, whose reasons the workers wrote without credentials), and its
 * workers' heartbeats, with rates from the samples this reader kept since it started.
 */
export class CrawlDashboardReader {
  readonly #redis: Redis;
  readonly #connection: QueueConnection;
  readonly #names: readonly string[] | undefined;
  readonly #queues = new Map<string, Queue>();
  readonly #samples = new Map<string, Sample[]>();

  /**
   * @param connection - The Redis and the key prefix (its `queue` is not used).
   * @param names - The queues to show; none: every queue found under the prefix.
   */
  constructor(connection: QueueConnection, names?: readonly string[]) {
    this.#redis = new Redis(connection.redis, { maxRetriesPerRequest: 1 });
    this.#redis.on('error', () => {}); // a read that fails says why
    this.#connection = connection;
    this.#names = names;
  }

  /** Reads every queue's figures once. */
  async read(): Promise<DashboardState> {
    const names = this.#names ?? (await this.#discover());
    const queues = await Promise.all(names.map((name) => this.#readQueue(name)));
    return { at: Date.now(), queues };
  }

  /** Closes its connections. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()].map((queue) => queue.close()));
    this.#redis.disconnect();
  }

  /** The queues under the prefix: those with a `meta` key, which BullMQ writes when one is opened. */
  async #discover(): Promise<string[]> {
    const prefix = `${this.#connection.prefix}:`;
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${prefix}*:meta`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) found.add(key.slice(prefix.length, -':meta'.length));
    } while (cursor !== '0');
    return [...found].sort();
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, {
        connection: { url: this.#connection.redis },
        prefix: this.#connection.prefix,
        skipMetasUpdate: true,
      });
      queue.on('error', () => {});
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async #readQueue(name: string): Promise<DashboardQueue> {
    const queue = this.#queue(name);
    const [status, heartbeats] = await Promise.all([
      readCrawlStatus(queue, this.#redis),
      readHeartbeats(this.#redis, queue),
    ]);
    const failures = await readFailedJobs(queue, Math.min(status.failed, 20));
    const workers = heartbeats.map((heartbeat) => this.#withRates(`${name}\n${heartbeat.id}`, heartbeat));
    const limit = workers.flatMap((worker) => Object.values(worker.limits))[0] ?? 'unknown';
    return {
      ...status,
      name,
      workers,
      limiter: {
        requestsPerSecond: workers.reduce((sum, worker) => sum + worker.requestsPerSecond, 0),
        limit,
        limitPerSecond: perSecond(limit),
      },
      throttled: workers.reduce((sum, worker) => sum + worker.throttled, 0),
      retries: workers.reduce((sum, worker) => sum + worker.retries, 0),
      failures,
    };
  }

  #withRates(key: string, heartbeat: WorkerHeartbeat): DashboardWorker {
    const requests = heartbeat.pages + heartbeat.retries + heartbeat.failed;
    const samples = this.#samples.get(key) ?? [];
    const last = samples.at(-1);
    if (last === undefined || last.at !== heartbeat.updatedAt) {
      samples.push({ at: heartbeat.updatedAt, pages: heartbeat.pages, requests });
    }
    while (samples.length > 2 && (samples[0]?.at ?? 0) < heartbeat.updatedAt - rateWindowMs) samples.shift();
    this.#samples.set(key, samples);
    const first = samples[0];
    const spanS = first === undefined ? 0 : (heartbeat.updatedAt - first.at) / 1000;
    const rate = (now: number, then: number) => (spanS > 0 ? (now - then) / spanS : 0);
    return {
      ...heartbeat,
      pagesPerSecond: rate(heartbeat.pages, first?.pages ?? 0),
      requestsPerSecond: rate(requests, first?.requests ?? 0),
    };
  }
}

function perSecond(limit: string): number | null {
  try {
    const rate = parseRate(limit);
    return rate.limit / (rate.periodMs / 1000);
  } catch {
    return null;
  }
}
