// `capital enqueue --sink` opens the job's run in the workers' PostgreSQL sink; the workers write
// every page under it and finish it once the crawl's last task completes, as `capital run` does.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  adminPool,
  dropSchema,
  schemaName,
  serverUrl,
} from '../../../sinks/test/integration/fixtures/postgres.js';
import { redisUrl } from '../fixtures/services.js';
import { killChildren, queueFlags } from '../fixtures/workers.js';
import { assertCliBuilt, type RunningCli, runCli } from '../run-cli.js';

const token = `workers-runs-${randomBytes(6).toString('hex')}`;

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

async function stateShow(): Promise<{ id: string; state: string; pages: number }[]> {
  const shown = await runCli(
    ['state', 'show', 'wtd', '--search', 'new york', '--sink', sink(), '--json'],
    options,
  );
  expect(shown.code, shown.stderr).toBe(0);
  return (JSON.parse(shown.stdout) as { runs: { id: string; state: string; pages: number }[] }).runs;
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
