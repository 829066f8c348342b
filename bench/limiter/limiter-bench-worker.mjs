// One process of the limiter benchmark (forked by limiter-bench.mjs): takes permits on one key
// with one algorithm until told time is up, and reports when it asked for each permit and when it
// got it, both in Redis time, with the Redis commands and round trips it spent.
//
//   fork('limiter-bench-worker.mjs', [algorithm, redisUrl, prefix, limit])
//   worker → parent  { type: 'ready' }
//   parent → worker  { type: 'go', durationMs }
//   worker → parent  { type: 'done', startedAt, grants: [{ requestedAt, grantedAt }], commands, roundTrips }
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { RedisLimiter } from '../../packages/core/dist/limit/redis-limiter.js';

// ioredis is a dependency of @capital/core, not of the workspace root.
const { Redis } = createRequire(new URL('../../packages/core/package.json', import.meta.url))('ioredis');

const [algorithm, redisUrl, prefix, limitText] = process.argv.slice(2);
const limit = Number(limitText);
const key = 'shared';

const client = new Redis(redisUrl);
await client.ping();

/** Local time → Redis time, from one TIME round trip (same machine: the offset is about 0). */
const before = Date.now();
const [seconds, micros] = await client.time();
const offset = Number(seconds) * 1000 + Number(micros) / 1000 - (before + Date.now()) / 2;
const redisNow = () => Date.now() + offset;

/** Counts what the algorithm sends: every command, and one round trip per write (a pipeline is one). */
const counts = { commands: 0, roundTrips: 0 };
const pipelines = new WeakSet();
const sendCommand = client.sendCommand.bind(client);
client.sendCommand = (command, stream) => {
  counts.commands++;
  if (stream?.isPipeline) {
    if (!pipelines.has(stream)) counts.roundTrips++;
    pipelines.add(stream);
  } else {
    counts.roundTrips++;
  }
  return sendCommand(command, stream);
};

/** Each algorithm: resolves to the grant time (Redis time), or undefined when time ran out first. */
const algorithms = {
  /**
   * This library: one reservation, one sleep of exactly its wait; grant time as Redis reported it.
   * A request made before the end is kept to its grant, even past the end: it is a permit, not a
   * refusal to retry, and cancelling it would cost a release.
   */
  'redis-limiter': () => {
    const limiter = new RedisLimiter({ redis: client, rate: `${limit}/1s`, prefix });
    return async () => (await limiter.acquire(key)).grantAt;
  },
  /** A fixed 1 s window: INCR + PEXPIRE (one pipeline), and on refusal sleep 0.1, 0.4, 0.8, 1.3, then 2 s. */
  'counter+sleep': () => {
    const backoff = [100, 400, 800, 1300, 2000];
    return async (end) => {
      for (let attempt = 0; Date.now() < end; attempt++) {
        const windowKey = `${prefix}counter:${Math.floor(redisNow() / 1000)}`;
        const [[, count]] = await client.pipeline().incr(windowKey).pexpire(windowKey, 1000).exec();
        if (count <= limit) return redisNow();
        await sleep(Math.min(backoff[Math.min(attempt, backoff.length - 1)], Math.max(0, end - Date.now())));
      }
      return undefined;
    };
  },
  /** rate-limiter-flexible's RateLimiterRedis (points = limit, duration 1 s), waiting msBeforeNext when refused. */
  'rate-limiter-flexible': () => {
    const limiter = new RateLimiterRedis({
      storeClient: client,
      points: limit,
      duration: 1,
      keyPrefix: prefix,
    });
    return async (end) => {
      while (Date.now() < end) {
        try {
          await limiter.consume(key);
          return redisNow();
        } catch (refusal) {
          if (refusal instanceof Error) throw refusal;
          await sleep(Math.min(refusal.msBeforeNext, Math.max(0, end - Date.now())));
        }
      }
      return undefined;
    };
  },
};

const take = algorithms[algorithm]?.();
if (!take) throw new Error(`unknown algorithm ${algorithm}`);

process.send({ type: 'ready' });
const { durationMs } = await new Promise((resolve) => process.once('message', resolve));
counts.commands = 0;
counts.roundTrips = 0;
const startedAt = redisNow();
const end = Date.now() + durationMs;
const grants = [];
while (Date.now() < end) {
  const requestedAt = redisNow();
  const grantedAt = await take(end);
  if (grantedAt !== undefined) grants.push({ requestedAt, grantedAt });
}
process.send({ type: 'done', startedAt, grants, ...counts }, () => {
  client.disconnect();
  process.exit(0);
});
