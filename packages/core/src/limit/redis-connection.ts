import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/**
 * Connects to Redis for a `RedisLimiter`, with options that make an unreachable Redis an error
 * instead of a hang, and that never send a reserve twice (a second send takes a second permit).
 *
 * @param url - `redis://host:port/db`.
 * @param unavailableAfterMs - the limiter's bounded wait; caps the connect timeout.
 * @param logger - connection errors go to `debug` (the limiter itself warns once per outage).
 * @example const redis = connectLimiterRedis('redis://127.0.0.1:6379', 5000, silentLogger);
 */
export function connectLimiterRedis(url: string, unavailableAfterMs: number, logger: Logger): Redis {
  const redis = new (loadRedis())(url, {
    // While disconnected, fail rather than queue: the limiter waits for `ready` itself, bounded,
    // and a command queued past that wait would reserve a permit nobody is waiting for.
    enableOfflineQueue: false,
    // When the connection drops, reject what is in flight at once and never resend it: Redis may
    // have run it already.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.min(Math.max(unavailableAfterMs, 1000), 10_000),
    // Keep reconnecting, at most a second apart, so the limiter recovers by itself.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
  });
  // Without a listener ioredis prints every failed reconnect to the console.
  redis.on('error', (error: Error) => logger.debug('Redis connection error', { error: error.message }));
  return redis;
}

/**
 * ioredis, loaded when a limiter first connects: it costs ~13 MB of RSS, which a crawl without
 * Redis (most of them) should not carry. It is CommonJS, so `require` loads it synchronously.
 */
function loadRedis(): typeof Redis {
  return (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis;
}

const readiness = new WeakMap<Redis, Promise<void>>();

/**
 * Resolves `true` once the client is ready, or `false` after `timeoutMs` or when it has ended.
 * Waiters share one `ready` listener per client, so many of them add no listener warnings.
 *
 * @example if (!(await waitUntilReady(redis, 5000))) throw new Error('Redis is unreachable');
 */
export function waitUntilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  if (redis.status === 'end') return Promise.resolve(false);
  if (redis.status === 'wait') redis.connect().catch(() => {});
  let ready = readiness.get(redis);
  if (ready === undefined) {
    ready = new Promise<void>((resolve) =>
      redis.once('ready', () => {
        readiness.delete(redis);
        resolve();
      }),
    );
    readiness.set(redis, ready);
  }
  const whenReady = ready;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void whenReady.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Settles as `promise` does, or rejects with a timeout error after `ms`: the limiter's bound on a
 * command that was sent but is not answered (a stalled connection, a busy Redis).
 *
 * @example await answerWithin(redis.ping(), 5000);
 */
export async function answerWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms)} ms`)), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
