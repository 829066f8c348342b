import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { crawlStatus } from '@capital/workers';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertCliBuilt, type RunningCli, runCli, startCli } from '../run-cli.js';

// `capital status` and `capital enqueue --wait` against a real BullMQ queue worked by real
// `capital worker` processes: a crawl whose every task failed, a queue that does not exist, and
// a worker SIGKILLed while its task was active.

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};
const token = `status-${randomBytes(6).toString('hex')}`;

let redis: Redis;
let admin: pg.Pool;
let emulator: RunningEmulator | undefined;
let root: string;
let schema: string;
const children: RunningCli[] = [];

beforeAll(() => {
  assertCliBuilt();
  redis = new Redis(redisUrl);
  admin = new pg.Pool({ ...server, max: 1 });
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
  for (const cli of children.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await cli.exited.catch(() => {});
  }
  await emulator?.close();
  emulator = undefined;
  const keys = await redis.keys(`${root}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

const queueFlags = () => ['--redis', redisUrl, '--queue', 'crawl', '--prefix', `${root}:queue`];
const options = (env: Record<string, string> = {}) => ({
  cwd: tmpdir(),
  env: { REDIS_URL: '', ...env },
  killAfterMs: 60_000,
});
const status = () => crawlStatus({ redis: redisUrl, queue: 'crawl', prefix: `${root}:queue` });
const enqueueArgs = (url: string) => [
  'enqueue',
  'wtd',
  '--search',
  'new york',
  ...queueFlags(),
  '--base-url',
  url,
];

/** `capital worker` into this test's schema; resolves once it takes jobs. */
async function startWorker(workerToken: string, extra: readonly string[] = []): Promise<RunningCli> {
  const sink = `postgres://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${server.database}?schema=${schema}`;
  const cli = startCli(
    ['worker', ...queueFlags(), '--sink', sink, '--limiter-prefix', `${root}:limit:`, ...extra],
    options({ WTD_API_TOKEN: workerToken }),
  );
  children.push(cli);
  await waitFor(
    () => cli.stderr().includes('capital: worker on queue'),
    20_000,
    () => cli.stderr(),
  );
  return cli;
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  detail = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms. ${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('capital status', () => {
  it('says failed and exits 1 when every task failed, naming how many and `capital failed`', async () => {
    emulator = await startEmulator({ tokens: [token] });
    // The API refuses the worker's token: the seed fails at once, for good.
    await startWorker(`wrong-${randomBytes(6).toString('hex')}`);
    expect((await runCli(enqueueArgs(emulator.url), options())).code).toBe(0);
    await waitFor(async () => (await status()).failed === 1, 30_000);

    const shown = await runCli(['status', ...queueFlags()], options());
    expect(shown.stdout).toMatch(/^crawl at redis:\/\/\S+: failed: 1 of 1 tasks failed\n/);
    expect(shown.stderr).toMatch(/1 task failed on queue crawl:\n {2}Task [0-9a-f]{12} .*HTTP 401/);
    expect(shown.stderr).toContain('`capital failed` lists them');
    expect(shown.code).toBe(1);

    const json = await runCli(['status', ...queueFlags(), '--json'], options());
    expect(JSON.parse(json.stdout)).toMatchObject({
      state: 'failed',
      complete: true,
      failed: 1,
      completed: 0,
    });
    expect(json.code).toBe(1);

    const waited = await runCli([...enqueueArgs(emulator.url), '--wait', '--quiet'], options());
    expect(waited.stderr).toContain('1 task failed on queue crawl');
    expect(waited.code).toBe(1);
  });

  it('says there is no such queue, exits 2, and leaves no key behind', async () => {
    const shown = await runCli(['status', ...queueFlags()], options());
    expect(shown.stderr).toContain(`no queue named "crawl" under prefix "${root}:queue"`);
    expect(shown.stdout).toBe('');
    expect(shown.code).toBe(2);
    expect(await redis.keys(`${root}:*`)).toEqual([]);
  });

  it("shows a SIGKILLed worker's task as stalled, and a live worker's as running", async () => {
    // Each page takes 10 s, so the seed stays active while it is looked at, then killed.
    emulator = await startEmulator({ tokens: [token], latencyMs: 10_000, rateLimit: false });
    // Renewed every 2 s, a live lock keeps over 2 s left; under 1 s is stalled.
    const lock = ['--lock-duration', '4000'];
    const worker = await startWorker(token, [...lock, '--concurrency', '1', '--rate', 'off']);
    expect((await runCli(enqueueArgs(emulator.url), options())).code).toBe(0);
    const waiter = startCli([...enqueueArgs(emulator.url), '--wait', ...lock], options());
    children.push(waiter);
    await waitFor(async () => (await status()).active === 1, 30_000);

    // The live worker renews its lock: running, not stalled.
    const live = await runCli(['status', ...queueFlags(), ...lock, '--json'], options());
    expect(JSON.parse(live.stdout)).toMatchObject({ state: 'running', active: 1, stalled: 0 });
    expect(live.code).toBe(0);

    worker.child.kill('SIGKILL');
    await worker.exited;
    // No worker is left to recover the task, so it stays active; its lock lapses within 4 s.
    let shown = await runCli(['status', ...queueFlags(), ...lock], options());
    await waitFor(
      async () => {
        shown = await runCli(['status', ...queueFlags(), ...lock], options());
        return shown.stdout.includes('stalled');
      },
      30_000,
      () => shown.stdout + shown.stderr,
    );
    expect(shown.stdout).toMatch(/^crawl at redis:\/\/\S+: stalled: no task runs\n/);
    expect(shown.stdout).toMatch(
      / · 1 active · 1 stalled \(their worker stopped; BullMQ moves them back to waiting/,
    );
    expect(shown.code).toBe(0);
    await waitFor(() => waiter.stderr().includes('1 stalled (their worker stopped'), 30_000, waiter.stderr);
  });
});
