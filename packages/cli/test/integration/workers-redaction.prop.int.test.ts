import { randomBytes } from 'node:crypto';
import { type Connector, createCredentialResolver, type LogFields, type Logger } from '@capital/core';
import type { Sink, SinkPage } from '@capital/sinks';
import { type CrawlWorker, crawlStatus, enqueueSeeds, listFailedJobs, startWorker } from '@capital/workers';
import { connector as wtdConnector } from '@capital/wtd-connector';
import { fc, it } from '@fast-check/vitest';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type LyingApi, startLyingApi } from '../lying-api.js';

// A worker in this process, on a real Redis, against an API that echoes the token in generated
// bodies, statuses and encodings: after each task has failed for good, no spelling of the token is
// in any key or value under the test's prefix (failure reasons, stack traces, the events stream),
// in what `listFailedJobs` (`capital failed`) returns, in a log line, or in a stored row.

const connector = wtdConnector as unknown as Connector;
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const root = `capital-test:${randomBytes(6).toString('hex')}`;
const connection = { redis: redisUrl, queue: 'crawl', prefix: `${root}:queue` };

const encodings = {
  raw: (token: string) => token,
  uri: (token: string) => encodeURIComponent(token),
  form: (token: string) => new URLSearchParams({ t: token }).toString().slice(2),
  json: (token: string) => JSON.stringify(token).slice(1, -1),
} as const;
type Encoding = keyof typeof encodings;

const kinds = ['text-200', 'message-200', 'json-status', 'text-status'] as const;
type Kind = (typeof kinds)[number];

/** What the stub answers for each search term (one term per generated case). */
const answers = new Map<string, { status: number; body: string; type: string }>();
/** The token the worker's resolver hands out; each case sets its own. */
const env: Record<string, string | undefined> = {};
const logs: string[] = [];
const rows: unknown[] = [];

let api: LyingApi;
let redis: Redis;
let worker: CrawlWorker;

const logger: Logger = (() => {
  const write = (message: string, fields?: LogFields) =>
    logs.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { debug: write, info: write, warn: write, error: write };
})();

const memorySink: Sink = {
  write: async (page: SinkPage) => {
    rows.push(...page.data);
    return { key: page.key, records: page.data.length };
  },
  close: async () => ({ location: 'memory', records: rows.length, pages: 0 }),
  abort: async () => {},
};

beforeAll(async () => {
  redis = new Redis(redisUrl);
  api = await startLyingApi((_page, _honest, url) => {
    const answer = answers.get(url.searchParams.get('search_term') ?? '');
    return answer
      ? { status: answer.status, body: answer.body, type: answer.type }
      : { status: 404, body: '{}' };
  });
  worker = await startWorker({
    ...connection,
    sink: memorySink,
    loadConnector: async () => connector,
    baseUrl: api.url,
    rate: false,
    concurrency: 4,
    resolveCredential: createCredentialResolver(env),
    logger,
    backoff: { minTimeoutMs: 10, maxTimeoutMs: 10, randomize: false },
  });
});
afterAll(async () => {
  await worker?.close();
  await api?.close();
  const keys = await redis.keys(`${root}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** Every key under the test's prefix and its value, as text. */
async function redisDump(): Promise<string> {
  const keys = await redis.keys(`${root}:*`);
  const parts: string[] = [...keys];
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === 'string') parts.push(String(await redis.get(key)));
    else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return parts.join('\n');
}

async function waitForFailed(count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await crawlStatus(connection)).failed < count) {
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${count} failed tasks. ${logs.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let failedSoFar = 0;

describe('a worker against an API that echoes the token', () => {
  it.prop(
    {
      token: fc
        .string({
          unit: fc.constantFrom(...'abcXYZ0189-_.~+/=&?% "é:'.split('')),
          minLength: 8,
          maxLength: 24,
        })
        .map((body) => `w${body}`),
      kind: fc.constantFrom(...kinds),
      encoding: fc.constantFrom(...(Object.keys(encodings) as Encoding[])),
      status: fc.constantFrom(400, 403, 404, 500, 502, 503),
      before: fc.string({ maxLength: 70 }),
      after: fc.string({ maxLength: 30 }),
      attempts: fc.integer({ min: 1, max: 2 }),
    },
    { numRuns: 25 },
  )(
    'leaves no spelling of it in Redis, the failure list, a log line or a row',
    async (input) => {
      const term = `term-${randomBytes(6).toString('hex')}`;
      const echoed = `${input.before}${encodings[input.encoding](input.token)}${input.after}`;
      const answer = {
        'text-200': { status: 200, body: echoed, type: 'text/plain' },
        'message-200': { status: 200, body: JSON.stringify({ message: echoed }), type: 'application/json' },
        'json-status': {
          status: input.status,
          body: JSON.stringify({ message: echoed }),
          type: 'application/json',
        },
        'text-status': { status: input.status, body: echoed, type: 'text/html' },
      }[input.kind as Kind];
      answers.set(term, answer);
      env.WTD_API_TOKEN = input.token;

      await enqueueSeeds({
        ...connection,
        connector,
        params: { search: term },
        baseUrl: api.url,
        attempts: input.attempts,
      });
      failedSoFar += 1;
      await waitForFailed(failedSoFar);

      const failed = await listFailedJobs({ ...connection, limit: 1000 });
      const everything = [await redisDump(), JSON.stringify(failed), ...logs, JSON.stringify(rows)].join(
        '\n',
      );
      expect(failed.length).toBe(failedSoFar);
      for (const encode of Object.values(encodings)) expect(everything).not.toContain(encode(input.token));
    },
    110_000,
  );
});
