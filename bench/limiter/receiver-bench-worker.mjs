// One process of the receiver-side limiter benchmark (forked by receiver-bench.mjs): takes a
// permit on one shared key with one algorithm, then sends one HTTP request to the counting API,
// until told time is up.
//
//   fork('receiver-bench-worker.mjs', [algorithm, redisUrl, prefix, rate, apiUrl])
//   worker → parent  { type: 'ready' }
//   parent → worker  { type: 'go', durationMs }
//   worker → parent  { type: 'done', statuses: { 200: n, 429: m }, sendDelaysMs: [...], spent }
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { acquireSendPermit } from '../../packages/core/dist/http/acquire-send-permit.js';
import { permitDispatcher, warmConnections } from '../../packages/core/dist/http/permit-dispatcher.js';
import { RedisLimiter } from '../../packages/core/dist/limit/redis-limiter.js';

const { Redis } = createRequire(new URL('../../packages/core/package.json', import.meta.url))('ioredis');

const [algorithm, redisUrl, prefix, rateText, apiUrl] = process.argv.slice(2);
const limit = Number(rateText);
const key = 'shared';
const client = new Redis(redisUrl);
await client.ping();
const statuses = {};
const sendDelaysMs = [];
let spent = 0;

/** Sends one request; resolves with the answer's status and headers, or undefined. */
async function send(init) {
  try {
    const response = await fetch(`${apiUrl}/v1/things`, init);
    await response.arrayBuffer();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    return { status: response.status, headers: response.headers };
  } catch {
    statuses.error = (statuses.error ?? 0) + 1;
    return undefined;
  }
}

/** Each algorithm: takes one permit and sends one request; false when time ran out first. */
const algorithms = {
  /**
   * This library at a known rate, as `capital run --rate 9/1s --redis` sends: the permit goes to
   * the HTTP client, which spends it when it is too old at the moment of writing.
   */
  'redis-limiter': (maxDelayMs) => {
    const limiter = new RedisLimiter({ redis: client, rate: `${limit}/1s`, prefix });
    return async () => {
      const { permit } = await acquireSendPermit(limiter, key, {
        maxDelayMs,
        onSent: (delayMs) => sendDelaysMs.push(delayMs),
        onSpent: () => {
          spent += 1;
        },
      });
      await send({ dispatcher: permitDispatcher(permit) });
      return true;
    };
  },
  /**
   * `--rate auto`: no rate given; the limiter starts at 1/s and learns from the API's answers
   * (this API sends no rate-limit headers: only its 429s teach it), as a crawl's attempt reports
   * them, with the send bound of the rate learnt so far.
   */
  auto: () => {
    const limiter = new RedisLimiter({ redis: client, rate: '1/1s', prefix, adaptive: {} });
    return async () => {
      const { permit } = await acquireSendPermit(limiter, key, {
        onSent: (delayMs) => sendDelaysMs.push(delayMs),
        onSpent: () => {
          spent += 1;
        },
      });
      const answer = await send({ dispatcher: permitDispatcher(permit) });
      if (answer) await limiter.learn(key, answer);
      return true;
    };
  },
  /** The same without a bound on grant-to-send delay: exact at the grant only, as before. */
  'redis-limiter, no send bound': () => algorithms['redis-limiter'](Number.POSITIVE_INFINITY),
  /** rate-limiter-flexible's RateLimiterRedis (points = rate, 1 s), waiting msBeforeNext when refused. */
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
          await send({});
          return true;
        } catch (refusal) {
          if (refusal instanceof Error) throw refusal;
          await sleep(Math.min(refusal.msBeforeNext, Math.max(0, end - Date.now())));
        }
      }
      return false;
    };
  },
};

const take = algorithms[algorithm]?.();
if (!take) throw new Error(`unknown algorithm ${algorithm}`);
// Both alike: a warm keep-alive connection before the first permit.
await warmConnections(apiUrl, 1);
process.send({ type: 'ready' });
const { durationMs } = await new Promise((resolve) => process.once('message', resolve));
const end = Date.now() + durationMs;
while (Date.now() < end) await take(end);
process.send({ type: 'done', statuses, sendDelaysMs, spent }, () => {
  client.disconnect();
  process.exit(0);
});
