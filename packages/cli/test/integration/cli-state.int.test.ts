// `capital state show|reset` names a job as `capital run` does (connector, parameters, sink), and
// prints or forgets its runs; `capital run` opens by saying which run it writes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import type { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  adminPool,
  dropSchema,
  schemaName,
  serverUrl,
} from '../../../sinks/test/integration/fixtures/postgres.js';
import { assertCliBuilt, runCli } from '../run-cli.js';

const token = 'state-token';
let emulator: RunningEmulator;
let folder: string;
let admin: Pool;
let schema: string;

beforeAll(async () => {
  assertCliBuilt();
  emulator = await startEmulator({ tokens: [token], rateLimit: false });
  admin = adminPool();
});
afterAll(async () => {
  await emulator.close();
  await admin.end();
});
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'capital-state-'));
  schema = schemaName();
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
  await dropSchema(admin, schema);
});

const job = (search: string) => ['wtd', '--search', search];
const run = (sink: string, search: string, extra: string[] = []) =>
  runCli(
    [
      'run',
      ...job(search),
      '--sink',
      sink,
      '--rate',
      'off',
      '--quiet',
      '--base-url',
      emulator.url,
      '--token',
      token,
      ...extra,
    ],
    { cwd: folder, env: { REDIS_URL: '' } },
  );
const state = (action: 'show' | 'reset', sink: string, search: string, extra: string[] = []) =>
  runCli(['state', action, ...job(search), '--sink', sink, ...extra], { cwd: folder });

describe.each([
  ['a file', () => `file:${join(folder, 'out.ndjson')}`],
  ['PostgreSQL', () => `${serverUrl}?schema=${schema}&table=listings`],
])('capital state with %s', (_, sinkOf) => {
  it('shows the job’s runs newest first, keeps other jobs apart, and reset forgets them', async () => {
    const sink = sinkOf();
    const first = await run(sink, 'new york');
    const second = await run(sink, 'new york', ['--write', 'merge']);
    await run(sink, 'group', ['--write', 'merge']);
    expect(first.stderr).toMatch(
      /capital: new run ([0-9a-f]{8}), --write \w+; full refresh: wtd has no cursor field/,
    );
    const ids = [second, first].map((result) => /new run ([0-9a-f]{8})/.exec(result.stderr)?.[1]);

    const shown = await state('show', sink, 'new york', ['--json']);

    expect(shown.code, shown.stderr).toBe(0);
    const report = JSON.parse(shown.stdout) as {
      job: string;
      runs: { id: string; state: string; pages: number }[];
    };
    expect(report.job).toBe('wtd {"search":"new york"}');
    expect(report.runs.map((entry) => [entry.id, entry.state, entry.pages])).toEqual([
      [ids[0], 'finished', 9],
      [ids[1], 'finished', 9],
    ]);
    const table = await state('show', sink, 'new york');
    expect(table.stdout).toMatch(/watermark: none \(the next run is a full refresh\)/);
    expect(table.stdout).toContain(`${ids[0]}  finished`);

    const reset = await state('reset', sink, 'new york');

    expect(reset.stdout).toMatch(/forgot 2 runs of wtd \{"search":"new york"\}/);
    const after = JSON.parse((await state('show', sink, 'new york', ['--json'])).stdout) as {
      runs: unknown[];
    };
    expect(after.runs).toEqual([]);
    const other = JSON.parse((await state('show', sink, 'group', ['--json'])).stdout) as { runs: unknown[] };
    expect(other.runs).toHaveLength(1);
  });

  it('refuses --resume of a run the job does not have, and resumes nothing after --fresh', async () => {
    const sink = sinkOf();
    await run(sink, 'new york', ['--write', 'merge']);

    const missing = await run(sink, 'new york', ['--write', 'merge', '--resume', '0badc0de']);
    const fresh = await run(sink, 'new york', ['--write', 'merge', '--fresh']);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Run 0badc0de is not a run of this job/);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toMatch(/new run [0-9a-f]{8}/);
  });
});
