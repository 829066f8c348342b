import { InvalidOptionError } from '@capital/core';
import { Queue } from 'bullmq';
import { QueueUnavailableError } from './worker-errors.js';

/** Where a crawl's queue lives. Every command of one crawl must agree on all three. */
export type QueueConnectionOptions = {
  /**
   * The Redis that holds the queue, as a URL (`redis://host:6379/0`, `rediss://…` for TLS).
   * @default process.env.REDIS_URL || 'redis://127.0.0.1:6379'
   */
  readonly redis?: string | undefined;
  /**
   * The queue's name: one queue per crawl. Letters, digits, `.`, `_` and `-`.
   * @default 'capital'
   */
  readonly queue?: string | undefined;
  /**
   * Put before every Redis key of the queue (BullMQ's `prefix`), so that queues of several
   * projects, or of tests, never meet: `capital:queue:NAME:wait`.
   * @default 'capital:queue'
   */
  readonly prefix?: string | undefined;
  /**
   * How long to wait for Redis before failing with `QueueUnavailableError`, in ms. Without a
   * bound BullMQ reconnects forever and a mistyped URL hangs the command.
   * @default 10_000
   */
  readonly connectTimeoutMs?: number | undefined;
};

/** {@link QueueConnectionOptions} checked, with defaults filled in. */
export type QueueConnection = {
  readonly redis: string;
  readonly queue: string;
  readonly prefix: string;
  readonly connectTimeoutMs: number;
};

/** The default queue name. */
export const defaultQueueName = 'capital';
/** The default key prefix. */
export const defaultQueuePrefix = 'capital:queue';

/**
 * Checks the options once, where they enter, and fills in defaults.
 * @throws {InvalidOptionError} for a queue name BullMQ cannot key, a URL that is not redis(s)://,
 * or a timeout that is not a whole number of ms ≥ 1.
 * @example resolveQueueConnection({}).queue // 'capital'
 */
export function resolveQueueConnection(options: QueueConnectionOptions): QueueConnection {
  const redis = options.redis || process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const queue = options.queue ?? defaultQueueName;
  const prefix = options.prefix ?? defaultQueuePrefix;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  if (!/^rediss?:\/\//.test(redis)) {
    throw new InvalidOptionError(
      'redis',
      `takes a URL such as redis://127.0.0.1:6379, got "${redactRedisUrl(redis)}".`,
    );
  }
  // BullMQ builds keys as PREFIX:QUEUE:…; a colon in the name would make them ambiguous.
  if (!/^[A-Za-z0-9._-]+$/.test(queue)) {
    throw new InvalidOptionError('queue', `must be letters, digits, ".", "_" or "-", got "${queue}".`);
  }
  if (prefix === '') throw new InvalidOptionError('prefix', 'must not be empty.');
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw new InvalidOptionError(
      'connectTimeoutMs',
      `must be a whole number of ms ≥ 1, got ${connectTimeoutMs}.`,
    );
  }
  return { redis, queue, prefix, connectTimeoutMs };
}

/** Options of {@link openQueue}. */
export type OpenQueueOptions = {
  /**
   * Only reads: does not write the queue's metadata, so that looking at a queue that does not
   * exist (a mistyped name) leaves no key behind.
   * @default false
   */
  readonly readOnly?: boolean | undefined;
};

/**
 * Opens the crawl's BullMQ queue and waits, bounded, until Redis answers.
 * The caller closes it.
 * @throws {QueueUnavailableError} when Redis does not answer within `connectTimeoutMs`.
 */
export async function openQueue(connection: QueueConnection, options: OpenQueueOptions = {}): Promise<Queue> {
  const queue = new Queue(connection.queue, {
    connection: { url: connection.redis },
    prefix: connection.prefix,
    skipMetasUpdate: options.readOnly ?? false,
  });
  // Until ready, ioredis retries connection errors; the timeout below reports the last one.
  let lastError: unknown;
  queue.on('error', (error) => {
    lastError = error;
  });
  // `close`, not `disconnect`: BullMQ's disconnect waits for a connection that never came.
  await untilReady(
    queue.waitUntilReady(),
    connection,
    () => queue.close(),
    () => lastError,
  );
  return queue;
}

/**
 * Opens the queue, runs `use`, and closes the queue whatever happens.
 * @example const counts = await withQueue(connection, (queue) => queue.getJobCounts());
 */
export async function withQueue<R>(
  connection: QueueConnection,
  use: (queue: Queue) => Promise<R>,
  options: OpenQueueOptions = {},
): Promise<R> {
  const queue = await openQueue(connection, options);
  try {
    return await use(queue);
  } finally {
    await queue.close();
  }
}

/**
 * Resolves when `ready` does, or gives up after the connection's timeout: closes what it
 * opened (`giveUp`) and throws {@link QueueUnavailableError}, with the last connection error
 * (`lastError`) as its cause.
 */
export async function untilReady(
  ready: Promise<unknown>,
  connection: QueueConnection,
  giveUp: () => Promise<void>,
  lastError: () => unknown = () => undefined,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), connection.connectTimeoutMs);
  });
  try {
    const outcome = await Promise.race([ready.then(() => 'ready' as const), timeout]);
    if (outcome === 'ready') return;
  } catch (error) {
    await giveUp().catch(() => {});
    throw new QueueUnavailableError(connection.queue, `cannot reach ${redactRedisUrl(connection.redis)}.`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  await giveUp().catch(() => {});
  throw new QueueUnavailableError(
    connection.queue,
    `no answer from ${redactRedisUrl(connection.redis)} within ${connection.connectTimeoutMs} ms.`,
    { cause: lastError() },
  );
}

/** A Redis URL as it may be shown: the password, if any, replaced by `***`. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, '$1:***@');
}
