import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { resolveQueueConnection, withQueue } from '@capital/workers';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertCliBuilt, type RunningCli, runCli, startCli } from '../run-cli.js';

// What a job on the queue may make a real `capital worker` do: the queue's Redis is often
// shared, so its jobs are written by whoever can reach it. A job that names a variable the
// connector does not declare, or a base URL the worker was not started with, must fail at once,
// with nothing sent and the variable's value nowhere.

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};
const token = `trust-${randomBytes(6).toString('hex')}`;
const dbPassword = `db-password-${randomBytes(12).toString('hex')}`;

let redis: Redis;
let admin: pg.Pool;
let emulator: RunningEmulator;
let foreign: { server: Server; url: string; requests: string[] };
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
beforeEach(async () => {
  const id = randomBytes(6).toString('hex');
  root = `capital-test:${id}`;
  schema = `capital_test_${id}`;
  emulator = await startEmulator({ tokens: [token] });
  foreign = await startRecordingServer();
});
afterEach(async () => {
  for (const cli of children.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await cli.exited.catch(() => {});
  }
  await emulator.close();
  await new Promise<void>((resolve) => foreign.server.close(() => resolve()));
  const keys = await redis.keys(`${root}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

/** A server of the attacker's: records every request, answers with a page of one fake listing. */
async function startRecordingServer(): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const recording = createServer((request, response) => {
    requests.push(`${request.method} ${request.url} ${JSON.stringify(request.headers)}`);
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        message: 'ok',
        total_results: 1,
        total_returned: 1,
        total_pages: 1,
        page: 1,
        data: [{ symbol: 'PWNED', name: 'Fake listing' }],
      }),
    );
  });
  await new Promise<void>((resolve) => recording.listen(0, '127.0.0.1', resolve));
  const { port } = recording.address() as AddressInfo;
  return { server: recording, url: `http://127.0.0.1:${port}`, requests };
}

const connection = () => resolveQueueConnection({ redis: redisUrl, queue: 'crawl', prefix: `${root}:queue` });
const queueFlags = () => ['--redis', redisUrl, '--queue', 'crawl', '--prefix', `${root}:queue`];
const options = () => ({
  cwd: tmpdir(),
  env: { REDIS_URL: '', WTD_API_TOKEN: token, MY_DB_PASSWORD: dbPassword },
  killAfterMs: 110_000,
});

/** A job as anyone with access to the Redis could add it, bypassing `capital enqueue`. */
function handWrittenJob(id: string, credentials: string, baseUrl?: string) {
  const task = { type: 'wtd.stock_search', search_term: 'new york', limit: 50, page: 1, credentials };
  return {
    name: 'wtd',
    data: { connector: 'wtd', task, depth: 0, ...(baseUrl === undefined ? {} : { baseUrl }) },
    opts: { jobId: id, attempts: 6, removeOnFail: false },
  };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, detail = () => '') {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms. ${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every key under the test's root and its value, as text. */
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

describe('capital worker, given jobs written by someone else', () => {
  it('refuses a job that would send another variable, or the token, to a foreign URL; nothing leaves', async () => {
    const sink = `postgres://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${server.database}?schema=${schema}`;
    const worker = startCli(
      [
        'worker',
        ...queueFlags(),
        '--sink',
        sink,
        '--limiter-prefix',
        `${root}:limit:`,
        '--base-url',
        emulator.url,
      ],
      options(),
    );
    children.push(worker);
    await waitFor(
      async () => worker.stderr().includes('capital: worker on queue'),
      20_000,
      () => worker.stderr(),
    );

    const jobs = [
      // The exfiltration job: the database password, to the attacker's server.
      handWrittenJob('exfiltrate', 'env:MY_DB_PASSWORD', foreign.url),
      // The connector's own reference, to the attacker's server: the API token would leave.
      handWrittenJob('foreign-url', 'env:WTD_API_TOKEN', foreign.url),
      // Another variable, to the worker's own API: the password would reach the API's logs.
      handWrittenJob('other-variable', 'env:MY_DB_PASSWORD'),
      // A task no `capital enqueue` makes: a page size the API never allows.
      {
        ...handWrittenJob('hostile-task', 'env:WTD_API_TOKEN'),
        data: {
          ...handWrittenJob('x', '').data,
          task: { ...handWrittenJob('x', 'env:WTD_API_TOKEN').data.task, limit: 1e6 },
        },
      },
    ];
    await withQueue(connection(), (queue) => queue.addBulk(jobs));
    const failed = async () =>
      withQueue(connection(), async (queue) => {
        const states = await Promise.all(jobs.map((job) => queue.getJobState(job.opts.jobId)));
        return states.every((state) => state === 'failed');
      });
    await waitFor(failed, 60_000, () => worker.stderr());

    const reasons = await withQueue(connection(), (queue) =>
      Promise.all(
        jobs.map(async (job) => {
          const stored = await queue.getJob(job.opts.jobId);
          return { reason: stored?.failedReason ?? '', attempts: stored?.attemptsMade };
        }),
      ),
    );
    expect(reasons[0]?.reason).toContain(`Refused the base URL "${foreign.url}"`);
    expect(reasons[1]?.reason).toContain(`Refused the base URL "${foreign.url}"`);
    expect(reasons[1]?.reason).toContain(`this worker sends requests only to ${emulator.url}`);
    expect(reasons[2]?.reason).toContain(
      'Refused the credential reference "env:MY_DB_PASSWORD": this process resolves only env:WTD_API_TOKEN',
    );
    expect(reasons[3]?.reason).toContain('is not a crawl job: Not a wtd.stock_search task: `limit`');
    // Failed at once, not retried six times.
    expect(reasons.map((job) => job.attempts)).toEqual([1, 1, 1, 1]);
    expect(foreign.requests).toEqual([]);
    expect(emulator.stats().pages.reduce((sum, page) => sum + page.served, 0)).toBe(0);

    const listed = await runCli(['failed', ...queueFlags()], options());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('Refused the credential reference "env:MY_DB_PASSWORD"');

    // A job enqueued as the crawl's own still runs: the worker refuses only what it must.
    const crawl = await runCli(
      [
        'enqueue',
        'wtd',
        '--search',
        'new york',
        ...queueFlags(),
        '--base-url',
        emulator.url,
        '--wait',
        '--quiet',
      ],
      options(),
    );
    expect(crawl.stderr).toContain('4 tasks failed');
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".wtd_stock_search WHERE record_key <> 'PWNED'`,
    );
    expect(rows[0]?.n).toBe(431);

    worker.child.kill('SIGTERM');
    const ended = await worker.exited;
    expect(ended.code).toBe(0);
    const everything = [ended.stderr, listed.stdout, listed.stderr, crawl.stderr, await redisDump()].join(
      '\n',
    );
    expect(everything).not.toContain(dbPassword);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(encodeURIComponent(dbPassword));
  });

  it('takes only references with --allow-credential, and never echoes what it was given', async () => {
    const secretLike = `sk_live_${randomBytes(8).toString('hex')}`;
    const result = await runCli(
      ['worker', ...queueFlags(), '--sink', 'postgres://x@127.0.0.1/test', '--allow-credential', secretLike],
      options(),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--allow-credential takes a reference such as env:');
    expect(result.stderr).not.toContain(secretLike);
  });
});
