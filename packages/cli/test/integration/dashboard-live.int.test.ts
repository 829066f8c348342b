import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { artifactsDir, launchBrowser } from '../browser.js';
import { type OtlpReceiver, startOtlpReceiver } from '../otlp-receiver.js';
import { assertCliBuilt, type RunningCli, runCli, startCli } from '../run-cli.js';
import { sampled, scrape, waitFor } from '../scrape.js';

// Two real `capital worker` processes crawl the emulator into PostgreSQL while `capital
// dashboard` serves its page, read in headless Chromium; the figures on the page, the workers'
// /metrics and the emulator's own counts must agree.

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};
const token = `dashboard-${randomBytes(6).toString('hex')}`;

let redis: Redis;
let admin: pg.Pool;
let emulator: RunningEmulator | undefined;
let receiver: OtlpReceiver | undefined;
let root: string;
let schema: string;
const children: RunningCli[] = [];

beforeAll(async () => {
  assertCliBuilt();
  redis = new Redis(redisUrl);
  admin = new pg.Pool({ ...server, max: 2 });
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
  emulator?.release();
  for (const cli of children.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await cli.exited.catch(() => {});
  }
  await emulator?.close();
  await receiver?.close();
  emulator = undefined;
  receiver = undefined;
  const keys = await redis.keys(`${root}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

const queueFlags = () => ['--redis', redisUrl, '--prefix', `${root}:queue`];
const options = (env: Record<string, string> = {}) => ({
  cwd: tmpdir(),
  env: { REDIS_URL: '', ...env },
  killAfterMs: 110_000,
});

function start(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const cli = startCli(args, options(env));
  children.push(cli);
  return cli;
}

async function urlIn(cli: RunningCli, pattern: RegExp): Promise<string> {
  await waitFor(() => pattern.test(cli.stderr()), 30_000, cli.stderr);
  return pattern.exec(cli.stderr())?.[1] ?? '';
}

/** A figure of the crawl's section on the page, as rendered. */
const figure = async (page: Page, field: string) =>
  (await page.locator(`section[data-queue="crawl"] [data-field="${field}"]`).first().textContent()) ?? '';

describe('capital dashboard', () => {
  it('shows a crawl of two workers live, with the figures the emulator, /metrics and OTLP count', async () => {
    // Seeded 429s, so that throttling and retries show.
    emulator = await startEmulator({
      tokens: [token],
      burst429Rate: 0.2,
      seed: 3,
    });
    const api = emulator;
    const sink = `postgres://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${server.database}?schema=${schema}`;
    receiver = await startOtlpReceiver();
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'capital-worker',
    };
    const workers = [0, 1].map(() =>
      start(
        [
          'worker',
          ...queueFlags(),
          '--queue',
          'crawl',
          '--sink',
          sink,
          '--concurrency',
          '2',
          '--rate',
          '8/1s',
          '--limiter-prefix',
          `${root}:limit:`,
          '--metrics-port',
          '0',
          '--base-url',
          api.url,
        ],
        { WTD_API_TOKEN: token, ...otel },
      ),
    );
    const metricsUrls = await Promise.all(workers.map((worker) => urlIn(worker, /metrics at (http:\S+)/)));
    const dashboard = start(['dashboard', ...queueFlags(), '--queue', 'crawl', '--port', '0']);
    const dashboardUrl = await urlIn(dashboard, / on (http:\/\/127\.0\.0\.1:\d+\/)/);

    // Twelve answers go through, then every answer is held: the crawl (49 pages) stops mid-way.
    api.hold(12);
    const enqueued = await runCli(
      ['enqueue', 'wtd', '--search', 'group', ...queueFlags(), '--queue', 'crawl', '--base-url', api.url],
      options(),
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);

    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(dashboardUrl);
      const answered = () => Object.values(api.stats().byStatus).reduce((sum, count) => sum + count, 0);
      // The state that must come: twelve answers, each counted by its worker and shown.
      await waitFor(
        async () =>
          api.heldRequests() > 0 &&
          answered() === 12 &&
          Number(await figure(page, 'completed')) === (api.stats().byStatus[200] ?? 0) &&
          Number(await figure(page, 'throttled')) === (api.stats().byStatus[429] ?? 0) &&
          Number(await figure(page, 'workerCount')) === 2,
        60_000,
        () => `emulator ${JSON.stringify(api.stats().byStatus)} held ${api.heldRequests()}`,
      );
      const stats = api.stats();
      const served = stats.byStatus[200] ?? 0;
      const throttled = stats.byStatus[429] ?? 0;
      expect(throttled, 'the seed makes 429s among the first answers').toBeGreaterThan(0);
      expect(await figure(page, 'state')).toBe('running');
      expect(Number(await figure(page, 'active'))).toBeGreaterThan(0);
      expect(Number(await figure(page, 'retries'))).toBe(throttled);
      expect(await figure(page, 'limiter')).toContain('req/s of 8/1s');
      const perWorker = await page
        .locator('section[data-queue="crawl"] tr[data-worker] [data-field="pages"]')
        .allTextContents();
      expect(perWorker).toHaveLength(2);
      expect(perWorker.reduce((sum, text) => sum + Number(text), 0)).toBe(served);
      await page.screenshot({ path: join(artifactsDir, 'dashboard-mid-crawl.png'), fullPage: true });

      // Each worker's /metrics, summed, says the same.
      const scraped = await Promise.all(metricsUrls.map((url) => scrape(url)));
      const total = (name: string) => scraped.reduce((sum, samples) => sum + sampled(samples, name), 0);
      expect(total('capital_pages_total')).toBe(served);
      expect(total('capital_http_throttled_total')).toBe(throttled);
      expect(total('capital_retries_total')).toBe(throttled);
      // Every held request is in flight; a request granted but not yet arrived may be too (two
      // workers at concurrency 2 hold at most four).
      expect(total('capital_pages_in_flight')).toBeGreaterThanOrEqual(api.heldRequests());
      expect(total('capital_pages_in_flight')).toBeLessThanOrEqual(4);
      expect(total('capital_sink_write_seconds_count')).toBe(served);

      api.release();
      await waitFor(async () => Number(await figure(page, 'pagesPerSecond')) > 0, 60_000);
      await waitFor(
        async () => (await figure(page, 'state')) === 'complete',
        90_000,
        () => JSON.stringify(api.stats().byStatus),
      );
      expect(Number(await figure(page, 'completed'))).toBe(49);
      expect(api.stats().pages.filter((p) => p.served > 0)).toHaveLength(49);
      await waitFor(
        async () => Number(await figure(page, 'throttled')) === (api.stats().byStatus[429] ?? 0),
        30_000,
      );
      await page.screenshot({ path: join(artifactsDir, 'dashboard-complete.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const end of await Promise.all(workers.map((worker) => worker.exited))) {
      expect(end.code, end.stderr).toBe(0);
      expect(end.stderr).not.toContain(token);
    }

    // Both workers exported on the way out: a span per attempt, its HTTP call as its child.
    const stats = api.stats();
    const spans = receiver.spans();
    const attempts = spans.filter((span) => span.name === 'capital.attempt');
    expect(attempts).toHaveLength(stats.requests);
    expect(new Set(attempts.map((span) => span.resource['process.pid'])).size).toBe(2);
    expect(attempts.filter((span) => span.attributes['capital.outcome'] === 'ok')).toHaveLength(
      stats.byStatus[200] ?? 0,
    );
    for (const call of spans.filter((span) => span.name === 'GET')) {
      expect(
        attempts.some((span) => span.spanId === call.parentSpanId && span.traceId === call.traceId),
      ).toBe(true);
    }
    const sum = (name: string) =>
      receiver?.latest(name).reduce((total, point) => total + (point.value ?? 0), 0);
    expect(sum('capital.pages')).toBe(49);
    expect(sum('capital.http.throttled')).toBe(stats.byStatus[429] ?? 0);
    expect(receiver.latest('capital.queue.jobs').length).toBeGreaterThan(0);
    expect(JSON.stringify(spans)).not.toContain(token);
  });
});
