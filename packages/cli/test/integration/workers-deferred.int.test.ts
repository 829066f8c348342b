// A `capital worker` whose API asks for a pause longer than `--defer-after` (429, Retry-After:
// 3 s or, without it, RateLimit-Reset: 3, against a threshold of 1 s) delays its jobs until the pause ends instead of failing them,
// spending no attempt; `capital status` says when they resume; once the API answers again, the
// crawl completes with every listing once.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { crawlStatus } from '@capital/workers';
import { generateListings, searchListings } from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresServer, postgresSinkUrl, redisUrl } from '../fixtures/services.js';
import { waitFor } from '../fixtures/wait-for.js';
import { killChildren, queueFlags, startWorker } from '../fixtures/workers.js';
import { type QuotaApi, startQuotaApi } from '../quota-api.js';
import { assertCliBuilt, type RunningCli, runCli } from '../run-cli.js';

const expectedSymbols = searchListings(generateListings(), 'new york')
  .map((listing) => listing.symbol)
  .sort();

let redis: Redis;
let admin: pg.Pool;
let api: QuotaApi | undefined;
let root: string;
let schema: string;
const children: RunningCli[] = [];

beforeAll(async () => {
  assertCliBuilt();
  redis = new Redis(redisUrl);
  admin = new pg.Pool({ ...postgresServer, max: 2 });
});
afterAll(async () => {
  await redis.quit();
  await admin.end();
});
beforeEach(async () => {
  const id = randomBytes(6).toString('hex');
  root = `capital-test:${id}`;
  schema = `capital_test_${id}`;
});
afterEach(async () => {
  await killChildren(children);
  await api?.close();
  const keys = await redis.keys(`${root}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

const options = {
  cwd: tmpdir(),
  env: { REDIS_URL: '', WTD_API_TOKEN: 'deferred-worker' },
  killAfterMs: 110_000,
};
/** The ids of the jobs in BullMQ's delayed set, and the attempts each has made (`atm`). */
async function delayedJobs(): Promise<{ id: string; attemptsMade: number }[]> {
  const ids = await redis.zrange(`${root}:queue:crawl:delayed`, 0, -1);
  return Promise.all(
    ids.map(async (id) => ({
      id,
      attemptsMade: Number((await redis.hget(`${root}:queue:crawl:${id}`, 'atm')) ?? 0),
    })),
  );
}
const status = () => crawlStatus({ redis: redisUrl, queue: 'crawl', prefix: `${root}:queue` });

describe.each([
  ['Retry-After: 3', { retryAfter: '3' }],
  ['a 429 with only RateLimit-Reset: 3', { refusalHeaders: { 'ratelimit-reset': '3' } }],
])('capital worker, when the API asks for a pause beyond --defer-after (%s)', (_name, refusal) => {
  it('delays the jobs until the pause ends, spending no attempt, then completes the crawl', async () => {
    api = await startQuotaApi({ pages: 1, ...refusal });
    const worker = await startWorker({
      root,
      sink: postgresSinkUrl(schema),
      extra: ['--lock-duration', '2000', '--base-url', api.url, '--defer-after', '1s'],
      options,
      children,
    });
    const enqueued = await runCli(
      ['enqueue', 'wtd', '--search', 'new york', ...queueFlags(root), '--base-url', api.url],
      options,
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);

    // The first page is answered; its next tasks meet the 429 (or the key it paused) and wait
    // in the delayed set, none failed and none charged an attempt.
    await waitFor(
      async () => (await delayedJobs()).length > 0,
      60_000,
      () => worker.stderr(),
    );
    const delayed = await delayedJobs();
    expect(delayed.map((job) => job.attemptsMade)).toEqual(delayed.map(() => 0));
    expect((await status()).failed).toBe(0);
    expect(api.refused()).toBeGreaterThan(0);
    expect(worker.stderr()).toMatch(
      /the API asked to pause for 3 s, beyond the deferral threshold: the run is deferred until \S+Z\. \(the job is delayed until then\)/,
    );

    // While the API still refuses, every job that comes back is delayed again: status says when.
    let shown = '';
    await waitFor(
      async () => {
        shown = (await runCli(['status', ...queueFlags(root)], options)).stdout;
        return /\d+ delayed \(until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/.test(shown);
      },
      60_000,
      () => shown,
    );

    api.release();
    await waitFor(
      async () => (await status()).complete,
      90_000,
      () => worker.stderr(),
    );
    const done = await status();
    expect(done).toMatchObject({ state: 'complete', failed: 0, completed: 9 });
    const { rows } = await admin.query<{ record_key: string }>(
      `SELECT record_key FROM "${schema}".wtd_stock_search`,
    );
    expect(rows.map((row) => row.record_key).sort()).toEqual(expectedSymbols);
  });
});
