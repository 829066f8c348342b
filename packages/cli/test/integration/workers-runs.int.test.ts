// `capital enqueue --sink` opens the job's run in the workers' PostgreSQL sink; the workers write
// every page under it and finish it once the crawl's last task completes, as `capital run` does.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
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
import { redisUrl } from '../fixtures/services.js';
import { waitFor } from '../fixtures/wait-for.js';
import { killChildren, queueFlags, startWorker } from '../fixtures/workers.js';
import { assertCliBuilt, type RunningCli, runCli } from '../run-cli.js';

const token = `workers-runs-${randomBytes(6).toString('hex')}`;
const expected = searchListings(generateListings(), 'new york')
  .map((listing) => listing.symbol)
  .sort();

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

const sink = () => `${serverUrl}?schema=${schema}&table=listings`;
const table = (name: string) => `${escapeIdentifier(schema)}.${escapeIdentifier(name)}`;

function workers(count: number, extra: readonly string[] = []): Promise<RunningCli[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      startWorker({
        root,
        sink: sink(),
        extra: ['--base-url', emulator.url, '--rate', 'off', ...extra],
        options,
        children,
      }),
    ),
  );
}

const enqueue = (extra: readonly string[] = []) =>
  runCli(
    [
      'enqueue',
      'wtd',
      '--search',
      'new york',
      ...queueFlags(root),
      '--sink',
      sink(),
      '--base-url',
      emulator.url,
      ...extra,
    ],
    options,
  );

/** The run id the opening line of `capital enqueue` names, and whether it is a new run. */
function openedRun(stderr: string): { id: string; fresh: boolean } {
  const line = stderr.split('\n')[0] ?? '';
  const found = /: (new run|resuming run) ([0-9a-f]{8})/.exec(line);
  if (found === null) throw new Error(`No run on the opening line: ${stderr}`);
  return { id: found[2] as string, fresh: found[1] === 'new run' };
}

async function runState(id: string): Promise<string | undefined> {
  const found = await admin.query<{ state: string }>(
    `SELECT state FROM ${table('listings__runs')} WHERE run_id = $1`,
    [id],
  );
  return found.rows[0]?.state;
}

/** Waits until the workers have finished run `id`, as the runs table says. */
function untilFinished(id: string): Promise<void> {
  return waitFor(
    async () => (await runState(id)) === 'finished',
    60_000,
    () => children.map((child) => child.stderr()).join('\n---\n'),
    200,
  );
}

async function stateShow(): Promise<{ id: string; state: string; pages: number }[]> {
  const shown = await runCli(
    ['state', 'show', 'wtd', '--search', 'new york', '--sink', sink(), '--json'],
    options,
  );
  expect(shown.code, shown.stderr).toBe(0);
  return (JSON.parse(shown.stdout) as { runs: { id: string; state: string; pages: number }[] }).runs;
}

async function storedSymbols(): Promise<string[]> {
  const found = await admin.query<{ record_key: string }>(
    `SELECT record_key FROM ${table('listings')} ORDER BY record_key COLLATE "C"`,
  );
  return found.rows.map((row) => row.record_key).sort();
}

describe('capital enqueue --sink', () => {
  it('opens the job’s run, says which on its opening line, and puts its id in the seed jobs; --fresh and --resume choose', async () => {
    const first = await enqueue();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr.split('\n')[0]).toMatch(
      /^capital: wtd \{"search":"new york"\} at postgres:\/\/\S+: new run [0-9a-f]{8}, --write merge; full refresh: wtd has no cursor field\.$/,
    );
    const run = openedRun(first.stderr);
    const [seedId] = await redis.keys(`${root}:queue:crawl:${run.id}-*`);
    expect(seedId).toBeDefined();
    expect(JSON.parse((await redis.hget(seedId as string, 'data')) ?? '{}')).toMatchObject({ runId: run.id });

    const again = await enqueue();
    expect(openedRun(again.stderr)).toEqual({ id: run.id, fresh: false });
    expect(again.stderr).toContain('1 already there');
    const fresh = await enqueue(['--fresh']);
    const freshRun = openedRun(fresh.stderr);
    expect(freshRun.fresh).toBe(true);
    expect(freshRun.id).not.toBe(run.id);
    expect(fresh.stderr).toContain('1 seed task of wtd added');
    const resumed = await enqueue(['--resume', run.id]);
    expect(openedRun(resumed.stderr)).toEqual({ id: run.id, fresh: false });
    expect((await stateShow()).map(({ id, state }) => ({ id, state }))).toEqual([
      // Resuming one run leaves the other as it was: its tasks are on the queue too.
      { id: freshRun.id, state: 'running' },
      { id: run.id, state: 'running' },
    ]);

    const file = await runCli(
      ['enqueue', 'wtd', '--search', 'new york', ...queueFlags(root), '--sink', 'file:out.ndjson'],
      options,
    );
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('Workers need a shared sink');
  });
});

describe('capital enqueue --sink and capital worker', () => {
  it('opens a run the workers write and finish; a second enqueue starts a new run that fetches every page again', async () => {
    await workers(2);

    const first = await enqueue(['--wait', '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const run = openedRun(first.stderr);
    expect(run.fresh).toBe(true);
    await untilFinished(run.id);
    const pages = emulator.stats().pages;
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every((page) => page.served === 1)).toBe(true);
    expect(await storedSymbols()).toEqual(expected);
    const runs = await stateShow();
    expect(runs).toEqual([expect.objectContaining({ id: run.id, state: 'finished', pages: pages.length })]);
    // Every page stored under the run, once: none under a run of the workers' own.
    const stored = await admin.query<{ run_id: string; n: number }>(
      `SELECT run_id, count(*)::int AS n FROM ${table('listings__pages')} GROUP BY run_id`,
    );
    expect(stored.rows).toEqual([{ run_id: run.id, n: pages.length }]);

    const second = await enqueue(['--wait', '--quiet']);
    expect(second.code, second.stderr).toBe(0);
    const next = openedRun(second.stderr);
    expect(next.fresh).toBe(true);
    expect(next.id).not.toBe(run.id);
    await untilFinished(next.id);
    expect(emulator.stats().pages.every((page) => page.served === 2)).toBe(true);
    expect(await storedSymbols()).toEqual(expected);
    expect((await stateShow()).map(({ id, state }) => ({ id, state }))).toEqual([
      { id: next.id, state: 'finished' },
      { id: run.id, state: 'finished' },
    ]);
  });

  it('resumes the unfinished run, and finishes it once a worker SIGKILLed mid-run is replaced by the others', async () => {
    // One task at a time per worker: once the first page is answered, each worker holds one request.
    const [doomed] = await workers(2, ['--concurrency', '1', '--lock-duration', '2000']);
    emulator.hold(1);
    const first = await enqueue();
    expect(first.code, first.stderr).toBe(0);
    const run = openedRun(first.stderr);
    await waitFor(
      () => emulator.heldRequests() === 2,
      60_000,
      () => `${emulator.heldRequests()} held`,
    );

    doomed?.child.kill('SIGKILL');
    await doomed?.exited;
    // Enqueued again while the run is open: the same run, resumed, and no task added twice.
    const again = await enqueue();
    expect(again.code, again.stderr).toBe(0);
    expect(openedRun(again.stderr)).toEqual({ id: run.id, fresh: false });
    expect(await runState(run.id)).toBe('running');
    emulator.release();

    await untilFinished(run.id);
    expect(await storedSymbols()).toEqual(expected);
    const runs = await stateShow();
    expect(runs).toEqual([expect.objectContaining({ id: run.id, state: 'finished' })]);
  });
});
