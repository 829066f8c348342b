import { randomBytes, randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { crawlStatus } from '@capital/workers';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisDump } from '../fixtures/redis-dump.js';
import { postgresServer, postgresSinkUrl, redisUrl } from '../fixtures/services.js';
import { waitFor } from '../fixtures/wait-for.js';
import { killChildren, queueFlags, startWorker as startQueueWorker } from '../fixtures/workers.js';
import { assertCliBuilt, type RunningCli, runCli, startCli } from '../run-cli.js';

// Real `capital worker` processes on one BullMQ queue, crawling the emulator into PostgreSQL:
// killed with SIGKILL (nothing runs on the way out, only what Redis and PostgreSQL hold
// survives), stopped with SIGTERM, fed a seed twice and a token that the API refuses.

const token = `workers-${randomBytes(6).toString('hex')}`;
const symbolsOf = (term: string) =>
  searchListings(generateListings(), term)
    .map((listing) => listing.symbol)
    .sort();

let redis: Redis;
let admin: pg.Pool;
let emulator: RunningEmulator;
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
beforeEach(() => {
  const id = randomBytes(6).toString('hex');
  root = `capital-test:${id}`;
  schema = `capital_test_${id}`;
});
afterEach(async () => {
  await killChildren(children);
  await emulator?.close();
  const keys = await redis.keys(`${root}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

const options = (env: Record<string, string> = {}) => ({
  cwd: tmpdir(),
  env: { REDIS_URL: '', ...env },
  killAfterMs: 110_000,
});

/** `capital worker` into this test's schema; resolves once it is connected and taking jobs. */
function startWorker(extra: readonly string[] = [], workerToken = token): Promise<RunningCli> {
  return startQueueWorker({
    root,
    sink: postgresSinkUrl(schema),
    // The jobs carry the emulator's URL: a worker sends only to base URLs it was started with.
    extra: ['--lock-duration', '2000', '--base-url', emulator.url, ...extra],
    options: options({ WTD_API_TOKEN: workerToken }),
    children,
  });
}

const servedPages = () => emulator.stats().pages.reduce((sum, page) => sum + page.served, 0);
const status = () => crawlStatus({ redis: redisUrl, queue: 'crawl', prefix: `${root}:queue` });
const isCrawlComplete = async () => (await status()).complete;
async function storedSymbols(): Promise<string[]> {
  const { rows } = await admin.query<{ record_key: string }>(
    `SELECT record_key FROM "${schema}".wtd_stock_search ORDER BY record_key`,
  );
  return rows.map((row) => row.record_key).sort();
}

describe('capital worker', () => {
  it('three workers crawl into PostgreSQL, one SIGKILLed twice: every listing once, no 429', async () => {
    // 9/s shared, against the API's 10/s as it counts arrivals: a permit grown too old before its
    // request was written is spent and another taken.
    const crawlerFlags = ['--concurrency', '2', '--rate', '9/1s'];
    emulator = await startEmulator({ tokens: [token] });
    const running = emulator;
    // Each kill lands on a state that must come, whatever the machine's speed: the emulator
    // holds its answers, so the crawl (49 pages) cannot end, and the victim, the only worker
    // running at that moment, has a request in flight, so its job is active and will stall.
    running.hold();
    const waiter = startCli([...enqueueArgs('group'), '--wait'], options());
    children.push(waiter);
    let stderrOfKilled = '';
    const killVictimMidRequest = async (victim: RunningCli) => {
      await waitFor(
        () => running.heldRequests() > 0,
        60_000,
        () => `held ${running.heldRequests()}, served ${servedPages()}`,
      );
      expect(await isCrawlComplete()).toBe(false);
      victim.child.kill('SIGKILL');
      const killed = await victim.exited;
      expect(killed.signal).toBe('SIGKILL');
      stderrOfKilled += killed.stderr;
    };

    // First kill: while its first request is held.
    await killVictimMidRequest(await startWorker(crawlerFlags));
    // Second kill: the restarted victim, alone, is let through a few pages, then held mid-request.
    const restarted = await startWorker(crawlerFlags);
    running.release();
    running.hold(randomInt(3, 13));
    await killVictimMidRequest(restarted);

    // Then three workers finish the crawl, with the killed jobs coming back as stalled.
    const workers = [
      await startWorker(crawlerFlags),
      await startWorker(crawlerFlags),
      await startWorker(crawlerFlags),
    ];
    running.release();

    const waited = await waiter.exited;
    expect(waited.stderr).toContain('crawl complete: 49 pages');
    expect(waited.code).toBe(0);
    const expected = symbolsOf('group');
    expect(await storedSymbols()).toEqual(expected);
    expect(emulator.stats().byStatus[429] ?? 0).toBe(0);
    expect(emulator.stats().pages.filter((page) => page.served > 0)).toHaveLength(49);
    for (const worker of workers) worker.child.kill('SIGTERM');
    const ends = await Promise.all(workers.map((worker) => worker.exited));
    for (const end of ends) expect(end.code).toBe(0);
    // The killed workers' jobs came back through BullMQ's stalled-job check, in a live worker.
    const logs = stderrOfKilled + ends.map((end) => end.stderr).join('');
    expect(logs).toContain('A job stalled');
    expect(logs).not.toContain(token);
    // Job payloads and limiter keys carry the credential reference, never the token.
    const stored = await redisDump(redis, `${root}*`);
    expect(stored).toContain('env:WTD_API_TOKEN');
    expect(stored).not.toContain(token);
  });

  it('runs a seed enqueued twice once: every page fetched exactly once', async () => {
    emulator = await startEmulator({ tokens: [token] });
    const [first, second] = await Promise.all([
      runCli(enqueueArgs('new york'), options()),
      runCli(enqueueArgs('new york'), options()),
    ]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect((await status()).waiting).toBe(1);
    await startWorker();
    await startWorker();
    const waited = await runCli([...enqueueArgs('new york'), '--wait'], options());
    expect(waited.code).toBe(0);
    const again = await runCli([...enqueueArgs('new york'), '--wait'], options());
    expect(again.stderr).toContain('0 seed tasks of wtd added');
    expect(again.code).toBe(0);
    const pages = emulator.stats().pages;
    expect(pages).toHaveLength(9);
    for (const page of pages) expect(page).toMatchObject({ searchTerm: 'new york', served: 1 });
    expect(await storedSymbols()).toEqual(symbolsOf('new york'));
  });

  it('fails a task the API refuses at once, says why without the token, and runs it again on retry', async () => {
    emulator = await startEmulator({ tokens: [token] });
    const wrongToken = `wrong-${randomBytes(6).toString('hex')}`;
    const refused = await startWorker([], wrongToken);
    const waited = await runCli([...enqueueArgs('new york'), '--wait', '--quiet'], options());
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(
      /1 task failed on queue crawl:\n {2}Task [0-9a-f]{12} \(wtd\.stock_search page 1\) failed after 1 attempt: HTTP 401: Invalid API token\./,
    );

    const listed = await runCli(['failed', ...queueFlags(root), '--json'], options());
    expect(listed.code).toBe(0);
    const [failure, ...others] = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(others).toEqual([]);
    expect(failure).toMatchObject({
      connector: 'wtd',
      attempts: 1,
      reason: expect.stringContaining('HTTP 401'),
    });
    for (const output of [waited.stderr, listed.stdout, refused.stderr()]) {
      expect(output).not.toContain(wrongToken);
      expect(output).not.toContain(token);
    }

    refused.child.kill('SIGTERM');
    expect((await refused.exited).code).toBe(0);
    const retried = await runCli(['retry', ...queueFlags(root)], options());
    expect(retried.stderr).toContain('1 failed task moved back to waiting');
    await startWorker();
    const rerun = await runCli([...enqueueArgs('new york'), '--wait', '--quiet'], options());
    expect(rerun.code).toBe(0);
    expect(await storedSymbols()).toEqual(symbolsOf('new york'));
  });

  it('finishes the pages in flight on SIGTERM, takes no new one, and exits 0', async () => {
    emulator = await startEmulator({ tokens: [token], rateLimit: false });
    const running = emulator;
    // Page 1 is answered and fans out; the next three requests are held, so three pages are in
    // flight when the signal comes, however fast or slow the machine is.
    running.hold(1);
    const worker = await startWorker(['--concurrency', '3', '--rate', 'off']);
    await runCli(enqueueArgs('group'), options());
    await waitFor(
      () => running.heldRequests() === 3,
      30_000,
      () => `held ${running.heldRequests()}`,
    );
    worker.child.kill('SIGTERM');
    await waitFor(
      () => worker.stderr().includes('stopping'),
      30_000,
      () => worker.stderr(),
    );
    running.release();
    const ended = await worker.exited;
    expect(ended.code).toBe(0);
    expect(ended.stderr).toContain('capital: worker stopped');

    const after = await status();
    expect(after.active).toBe(0);
    expect(after.completed).toBeGreaterThanOrEqual(4);
    expect(after.waiting).toBeGreaterThan(0);
    // Every page the API served was stored and completed: none was fetched and dropped.
    expect(servedPages()).toBe(after.completed);
    expect((await storedSymbols()).length).toBe(after.completed * 50);
  });
});

function enqueueArgs(term: string): string[] {
  return ['enqueue', 'wtd', '--search', term, ...queueFlags(root), '--base-url', emulator.url];
}
