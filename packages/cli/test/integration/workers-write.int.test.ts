// `capital enqueue --sink postgres://… --write append|replace`: the run keeps the disposition, and
// real `capital worker` processes store every page as the run says. Each must end with exactly
// the rows an in-process `capital run --write …` stores, also when a page's job is delivered
// twice; a replace run that fails or is abandoned leaves the old table as it was.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { resolveQueueConnection, withQueue } from '@capital/workers';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import { escapeIdentifier, type Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  adminPool,
  dropSchema,
  schemaName,
  serverUrl,
} from '../../../sinks/test/integration/fixtures/postgres.js';
import { runWtdArgs } from '../fixtures/run-args.js';
import { redisUrl } from '../fixtures/services.js';
import { waitFor } from '../fixtures/wait-for.js';
import { killChildren, queueFlags, startWorker } from '../fixtures/workers.js';
import { assertCliBuilt, type RunningCli, runCli } from '../run-cli.js';

const token = `workers-write-${randomBytes(6).toString('hex')}`;
const search = 'new york';
const newYork = searchListings(generateListings(), search).length;

let emulator: RunningEmulator;
let admin: Pool;
let redis: Redis;
let schema: string;
let root: string;
const children: RunningCli[] = [];
const options = { cwd: tmpdir(), env: { REDIS_URL: '', WTD_API_TOKEN: token } };

beforeAll(async () => {
  assertCliBuilt();
  emulator = await startEmulator({ tokens: [token], rateLimit: false });
  admin = adminPool();
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  await emulator.close();
  await admin.end();
  await redis.quit();
});
beforeEach(() => {
  schema = schemaName();
  root = `capital-test:${randomBytes(6).toString('hex')}`;
  emulator.resetStats();
});
afterEach(async () => {
  emulator.release();
  await killChildren(children);
  const keys = await redis.keys(`${root}*`);
  if (keys.length > 0) await redis.del(...keys);
  await dropSchema(admin, schema);
});

const sink = (table = 'listings') => `${serverUrl}?schema=${schema}&table=${table}`;
const qualified = (name: string) => `${escapeIdentifier(schema)}.${escapeIdentifier(name)}`;
const connection = () => resolveQueueConnection({ redis: redisUrl, queue: 'crawl', prefix: `${root}:queue` });

function workers(count: number, extra: readonly string[] = [], env = options.env): Promise<RunningCli[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      startWorker({
        root,
        sink: sink(),
        extra: ['--base-url', emulator.url, '--rate', 'off', ...extra],
        options: { ...options, env },
        children,
      }),
    ),
  );
}

async function enqueue(extra: readonly string[]): Promise<string> {
  const done = await runCli(
    [
      'enqueue',
      'wtd',
      '--search',
      search,
      ...queueFlags(root),
      '--sink',
      sink(),
      '--base-url',
      emulator.url,
      ...extra,
    ],
    options,
  );
  expect(done.code, done.stderr).toBe(0);
  const found = /: new run ([0-9a-f]{8}), --write (\w+);/.exec(done.stderr.split('\n')[0] ?? '');
  if (found === null) throw new Error(`No new run on the opening line: ${done.stderr}`);
  return found[1] as string;
}

/** `capital run` in this process' way: the rows an uninterrupted in-process run stores. */
async function runInProcess(table: string, write: string): Promise<void> {
  const done = await runCli(
    [
      ...runWtdArgs({ search, baseUrl: emulator.url, token, rate: 'off' }),
      '--sink',
      sink(table),
      '--write',
      write,
    ],
    options,
  );
  expect(done.code, done.stderr).toBe(0);
}

/** The table's records (key and JSON), sorted: a multiset, so that a duplicate shows. */
async function records(table: string): Promise<string[]> {
  const found = await admin.query<{ row: string }>(
    `SELECT record_key || ' ' || record::text AS row FROM ${qualified(table)}`,
  );
  return found.rows.map((row) => row.row).sort();
}

async function runState(id: string): Promise<string | undefined> {
  const found = await admin.query<{ state: string }>(
    `SELECT state FROM ${qualified('listings__runs')} WHERE run_id = $1`,
    [id],
  );
  return found.rows[0]?.state;
}

async function pagesStored(id: string): Promise<number> {
  const found = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${qualified('listings__pages')} WHERE run_id = $1`,
    [id],
  );
  return found.rows[0]?.n ?? 0;
}

function untilFinished(id: string): Promise<void> {
  return waitFor(
    async () => (await runState(id)) === 'finished',
    90_000,
    () => children.map((child) => child.stderr()).join('\n---\n'),
    200,
  );
}

async function tableExists(name: string): Promise<boolean> {
  const found = await admin.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    qualified(name),
  ]);
  return found.rows[0]?.found === true;
}

/**
 * Adds a second job for each waiting job of the queue (the seed): the same data under another id,
 * as a job run again after its worker stalled is delivered. Returns both ids of each.
 */
async function deliverTwice(): Promise<string[]> {
  return withQueue(connection(), async (queue) => {
    const waiting = await queue.getWaiting();
    expect(waiting.length).toBeGreaterThan(0);
    const ids: string[] = [];
    for (const job of waiting) {
      const again = `again-${job.id}`;
      await queue.add(job.name, job.data, { ...job.opts, jobId: again });
      ids.push(job.id as string, again);
    }
    return ids;
  });
}

async function jobStates(ids: readonly string[]): Promise<string[]> {
  return withQueue(connection(), (queue) => Promise.all(ids.map((id) => queue.getJobState(id))));
}

/** Waits until the run stored `stored` pages or more, and the emulator holds a request. */
async function untilHeld(runId: string, stored: number): Promise<void> {
  await waitFor(
    async () => emulator.heldRequests() >= 1 && (await pagesStored(runId)) >= stored,
    60_000,
    () => `${emulator.heldRequests()} held\n${children.map((child) => child.stderr()).join('\n---\n')}`,
    100,
  );
}

describe('capital enqueue --write append and capital worker', () => {
  it('adds exactly the rows of an in-process run, each page once although its job is delivered twice; a second run adds them again', async () => {
    await runInProcess('reference', 'append');
    const expected = await records('reference');
    expect(expected).toHaveLength(newYork);

    const runId = await enqueue(['--write', 'append']);
    const twice = await deliverTwice();
    await workers(2);
    await untilFinished(runId);
    // Both deliveries ran to completion (the run finished once nothing was left), each writing the page.
    expect(await jobStates(twice)).toEqual(twice.map(() => 'completed'));
    expect(await records('listings')).toEqual(expected);
    const checkpoints = await admin.query<{ task_key: string; n: number }>(
      `SELECT task_key, count(*)::int AS n FROM ${qualified('listings__pages')} WHERE run_id = $1 GROUP BY task_key`,
      [runId],
    );
    expect(checkpoints.rows.every((row) => row.n === 1)).toBe(true);

    const next = await enqueue(['--write', 'append']);
    expect(next).not.toBe(runId);
    await untilFinished(next);
    expect(await records('listings')).toEqual([...expected, ...expected].sort());
  });
});

describe('capital enqueue --write append and a stalled worker', () => {
  it('stores the page of a job run again after its worker stalled past its lock once, though both workers write it', async () => {
    await runInProcess('reference', 'append');
    const expected = await records('reference');
    emulator.resetStats();

    // Worker A takes the seed; its answer is held, and A is stopped (SIGSTOP) while it waits.
    const [stalled] = await workers(1, [
      '--concurrency',
      '1',
      '--lock-duration',
      '2000',
      '--timeout',
      '300000',
    ]);
    emulator.hold(0);
    const runId = await enqueue(['--write', 'append']);
    await waitFor(
      () => emulator.heldRequests() === 1,
      60_000,
      () => stalled?.stderr() ?? '',
    );
    stalled?.child.kill('SIGSTOP');
    // Worker B finds A's lock run out, takes the seed again, and asks for it too.
    await workers(1, ['--lock-duration', '2000', '--timeout', '300000']);
    await waitFor(
      () => emulator.heldRequests() === 2,
      60_000,
      () => children.map((child) => child.stderr()).join('\n---\n'),
    );
    stalled?.child.kill('SIGCONT');
    emulator.release();
    await untilFinished(runId);
    // A stops only once the pages it holds are written: its copy of the seed page among them.
    stalled?.child.kill('SIGTERM');
    await stalled?.exited;
    expect(stalled?.stderr()).toContain('capital: worker stopped:');
    expect(stalled?.stderr()).not.toContain('could not be stored');
    const seed = emulator.stats().pages.find((page) => page.page === 1);
    expect(seed?.served).toBe(2);
    expect(await records('listings')).toEqual(expected);
  });
});

describe('capital enqueue --write replace and capital worker', () => {
  /** The old table: an in-process merge run's rows and one record no new run has. */
  async function oldTable(): Promise<string[]> {
    await runInProcess('listings', 'merge');
    await admin.query(
      `INSERT INTO ${qualified('listings')} (record_key, record) VALUES ('OLD-ONLY', '{"old":true}')`,
    );
    const old = await records('listings');
    expect(old).toHaveLength(newYork + 1);
    return old;
  }

  it('writes into the run’s new table, leaves the old one untouched until the run finishes, then swaps it in', async () => {
    await runInProcess('reference', 'replace');
    const expected = await records('reference');
    const old = await oldTable();

    // Two answers, then the emulator holds: the seed's two deliveries may take both.
    emulator.hold(2);
    const runId = await enqueue(['--write', 'replace']);
    const twice = await deliverTwice();
    await workers(2);
    await untilHeld(runId, 1);
    // Mid-run: the pages so far are in the run's table, the old table is as it was.
    expect(await records('listings')).toEqual(old);
    expect((await records(`listings__build_${runId}`)).length).toBeGreaterThan(0);

    emulator.release();
    await untilFinished(runId);
    expect(await records('listings')).toEqual(expected);
    expect(await tableExists(`listings__build_${runId}`)).toBe(false);
    expect(await jobStates(twice)).toEqual(['completed', 'completed']);
    const key = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_catalog.pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
      [qualified('listings')],
    );
    expect(key.rows[0]?.n).toBe(1);
  });

  it('leaves the old table intact when the run is abandoned (its workers SIGKILLed) and then fails', async () => {
    const old = await oldTable();
    await workers(2, ['--lock-duration', '2000']);
    emulator.hold(2);
    const runId = await enqueue(['--write', 'replace', '--attempts', '1']);
    await untilHeld(runId, 2);
    await killChildren(children);
    expect(await records('listings')).toEqual(old);

    // A worker whose token the API refuses takes the dead workers' tasks once their locks run
    // out: each fails for good, so the crawl fails and nobody finishes the run.
    emulator.release();
    await workers(1, ['--lock-duration', '2000'], { ...options.env, WTD_API_TOKEN: 'refused' });
    await waitFor(
      () =>
        withQueue(connection(), async (queue) => {
          const counts = await queue.getJobCounts('failed', 'active', 'waiting', 'delayed', 'prioritized');
          return (
            (counts.failed ?? 0) > 0 && counts.active === 0 && counts.waiting === 0 && counts.delayed === 0
          );
        }),
      60_000,
      () => children.map((child) => child.stderr()).join('\n---\n'),
      200,
    );
    const status = await runCli(['status', ...queueFlags(root), '--json'], options);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'failed' });
    expect(await runState(runId)).not.toBe('finished');
    expect(await records('listings')).toEqual(old);
  });
});

describe('capital enqueue --write', () => {
  it('needs --sink, and refuses what workers cannot do on Kafka, saying why', async () => {
    const base = ['enqueue', 'wtd', '--search', search, ...queueFlags(root)];
    const noSink = await runCli([...base, '--write', 'append'], options);
    expect(noSink.code).toBe(2);
    expect(noSink.stderr).toContain('--write need --sink');
    const append = await runCli([...base, '--sink', 'kafka://127.0.0.1:1/t', '--write', 'append'], options);
    expect(append.code).toBe(2);
    expect(append.stderr).toContain('a task delivered twice');
    const replace = await runCli([...base, '--sink', 'kafka://127.0.0.1:1/t', '--write', 'replace'], options);
    expect(replace.code).toBe(2);
    expect(replace.stderr).toContain('a topic cannot be swapped atomically');
    const bad = await runCli([...base, '--sink', sink(), '--write', 'upsert'], options);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--write takes append, merge or replace');
    const file = await runCli([...base, '--sink', 'file:out.ndjson', '--write', 'append'], options);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('each worker would write its own');
  });
});
