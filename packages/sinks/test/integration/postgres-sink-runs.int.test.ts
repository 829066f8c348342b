// Runs opened by one process and written and finished by others (`capital enqueue --sink` and
// its workers), against the real PostgreSQL.
import { RunDeferredError, type WriteDisposition } from '@capital/core';
import { escapeIdentifier, type Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parsePostgresSinkUrl } from '../../src/postgres/parse-postgres-sink-url.js';
import { PostgresSink } from '../../src/postgres/postgres-sink.js';
import { keptRunsPerJob, RunNotFoundError } from '../../src/runs.js';
import type { SinkPage } from '../../src/sink.js';
import { SinkWriteError } from '../../src/sink-error.js';
import { adminPool, dropSchema, schemaName, serverUrl } from './fixtures/postgres.js';

type Row = { readonly id: string };

let admin: Pool;
let schema: string;
const sinks: PostgresSink<Row>[] = [];

beforeAll(() => {
  admin = adminPool();
});
afterAll(async () => {
  await admin.end();
});
beforeEach(() => {
  schema = schemaName();
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.abort()));
  await dropSchema(admin, schema);
});

function sink(job: string, disposition?: WriteDisposition): PostgresSink<Row> {
  const opened = new PostgresSink<Row>({
    ...parsePostgresSinkUrl(`${serverUrl}?schema=${schema}&table=items`),
    stream: 'test.items',
    recordKey: (row) => row.id,
    job,
    ...(disposition === undefined ? {} : { disposition }),
  });
  sinks.push(opened);
  return opened;
}

function page(n: number, runId?: string): SinkPage<Row> {
  const task = { type: 'test.items', page: n };
  return {
    key: `page-${n}`,
    task,
    data: [{ id: `r${n}` }],
    nextTasks: [],
    fetchedAt: Date.now(),
    ...(runId === undefined ? {} : { runId }),
  };
}

async function runsOf(): Promise<{ run_id: string; job: string; state: string; pages: number }[]> {
  const found = await admin.query(
    `SELECT r.run_id, r.job, r.state, r.pages, r.watermark,
       (SELECT count(*)::int FROM ${escapeIdentifier(schema)}.items__pages p WHERE p.run_id = r.run_id) AS stored
     FROM ${escapeIdentifier(schema)}.items__runs r ORDER BY r.started_at`,
  );
  return found.rows;
}

describe('PostgresSink and runs opened elsewhere', () => {
  it('stores a page that names a run under that run, and opens no run of its own, even on close', async () => {
    const enqueuer = sink('test {"q":"a"}');
    const { run } = await enqueuer.runs.open();
    await enqueuer.close({ finishRun: false });
    const worker = sink('test (workers)');
    await worker.write(page(1, run.id));
    await worker.write(page(2, run.id));
    await worker.close({ finishRun: false });
    expect(await runsOf()).toEqual([
      expect.objectContaining({ run_id: run.id, job: 'test {"q":"a"}', state: 'running', stored: 2 }),
    ]);
  });

  it('finishes a run of another job once when several sinks race to finish it, with the watermark of its start', async () => {
    const enqueuer = sink('test {"q":"a"}');
    const { run } = await enqueuer.runs.open();
    await enqueuer.close({ finishRun: false });
    const workers = [sink('test (workers)'), sink('test (workers)'), sink('test (workers)')];
    await workers[0]?.write(page(1, run.id));
    const seen: string[] = [];
    const finished = await Promise.all(
      workers.map((worker) =>
        worker.runs.finish?.(run.id, {
          watermark: (opened) => {
            seen.push(opened.id);
            return new Date(opened.startedAt).toISOString();
          },
        }),
      ),
    );
    expect(finished.filter((done) => done === true)).toHaveLength(1);
    expect(finished.filter((done) => done === false)).toHaveLength(2);
    expect(seen).toEqual([run.id]);
    expect(await runsOf()).toEqual([
      expect.objectContaining({
        run_id: run.id,
        state: 'finished',
        pages: 1,
        watermark: new Date(run.startedAt).toISOString(),
      }),
    ]);
    // The job's next run is a new one.
    const next = await sink('test {"q":"a"}').runs.open();
    expect(next).toMatchObject({ resumed: false, watermark: new Date(run.startedAt).toISOString() });
  });

  it('refuses to finish a run the sink does not keep', async () => {
    await expect(sink('test (workers)').runs.finish?.('0badc0de')).rejects.toBeInstanceOf(RunNotFoundError);
  });

  it('stores the pages of an append run as the run says, whatever its own disposition, each page once when written twice', async () => {
    const enqueuer = sink('test {"q":"a"}', 'append');
    const { run } = await enqueuer.runs.open();
    await enqueuer.close({ finishRun: false });
    // Two workers' sinks (merge, the default), one page written by both at once and again later.
    const [one, two] = [sink('test (workers)'), sink('test (workers)')];
    await Promise.all([one.write(page(1, run.id)), two.write(page(1, run.id)), one.write(page(2, run.id))]);
    await two.write(page(2, run.id));
    expect(await recordKeys('items')).toEqual(['r1', 'r2']);
    expect(await runsOf()).toEqual([expect.objectContaining({ run_id: run.id, stored: 2 })]);
    // The next append run adds its records beside the first's.
    expect(await one.runs.finish?.(run.id)).toBe(true);
    const next = sink('test {"q":"a"}', 'append');
    const opened = await next.runs.open();
    await next.close({ finishRun: false });
    await one.write(page(1, opened.run.id));
    expect(await recordKeys('items')).toEqual(['r1', 'r1', 'r2']);
  });

  it('stores the pages of a replace run in its new table, and swaps it in when the run is finished', async () => {
    const old = sink('test {"q":"old"}');
    await old.write(page(9));
    await old.close();
    const enqueuer = sink('test {"q":"a"}', 'replace');
    const { run } = await enqueuer.runs.open();
    await enqueuer.close({ finishRun: false });
    const worker = sink('test (workers)');
    await Promise.all([worker.write(page(1, run.id)), worker.write(page(1, run.id))]);
    await worker.write(page(1, run.id));
    expect(await recordKeys('items')).toEqual(['r9']);
    expect(await recordKeys(`items__build_${run.id}`)).toEqual(['r1']);
    expect(await worker.runs.finish?.(run.id)).toBe(true);
    expect(await recordKeys('items')).toEqual(['r1']);
  });

  it('refuses a page naming a run it does not keep, with RUN_NOT_FOUND', async () => {
    const error = await sink('test (workers)')
      .write(page(1, '0badc0de'))
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SinkWriteError);
    expect(error).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});

async function recordKeys(table: string): Promise<string[]> {
  const found = await admin.query<{ record_key: string }>(
    `SELECT record_key FROM ${escapeIdentifier(schema)}.${escapeIdentifier(table)}`,
  );
  return found.rows.map((row) => row.record_key).sort();
}

describe('PostgresSink deferred runs', () => {
  it('records a deferred run as interrupted with its resume_at, cleared when the run goes on', async () => {
    const first = sink('job');
    const opened = await first.runs.open();
    await first.write(page(1));
    const resumeAt = Date.parse('2030-01-01T10:00:00.123Z');
    await first.abort(new RunDeferredError({ resumeAt, waitMs: 3_600_000 }));
    expect(await sink('job').runs.list()).toMatchObject([
      { id: opened.run.id, state: 'interrupted', resumeAt, pages: 1 },
    ]);

    const again = await sink('job').runs.open();
    expect(again).toMatchObject({ resumed: true, pagesStored: 1 });
    expect(again.run.resumeAt).toBeUndefined();
    expect((await sink('job').runs.list())[0]?.resumeAt).toBeUndefined();
  });

  it('gives a runs table made before deferred runs its resume_at column, keeping its runs', async () => {
    const runs = `${escapeIdentifier(schema)}.items__runs`;
    await sink('job').runs.open();
    await admin.query(`ALTER TABLE ${runs} DROP COLUMN resume_at`);
    await admin.query(`UPDATE ${runs} SET state = 'interrupted'`);

    const [old] = await sink('job').runs.list();
    expect(old).toMatchObject({ state: 'interrupted' });
    expect(old?.resumeAt).toBeUndefined();
    const later = sink('job');
    await later.runs.open();
    await later.abort(new RunDeferredError({ resumeAt: Date.parse('2030-01-01T00:00:00Z'), waitMs: 1000 }));
    expect((await sink('job').runs.list())[0]).toMatchObject({
      id: old?.id,
      resumeAt: Date.parse('2030-01-01T00:00:00Z'),
    });
  });
});

async function runsIndexes(): Promise<string[]> {
  const found = await admin.query<{ indexname: string }>(
    `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'items__runs' AND indexname <> 'items__runs_pkey'`,
    [schema],
  );
  return found.rows.map((row) => row.indexname);
}

describe('PostgresSink runs history', () => {
  it("keeps a job's newest runs and its latest watermark as runs open, deleting older runs with their checkpoints and build tables", async () => {
    const job = 'test {"q":"history"}';
    const first = sink(job, 'replace');
    await first.write(page(1));
    await first.close({ watermark: 'mark-1' });
    const [marked] = await sink(job, 'replace').runs.list();
    const other = sink('another job');
    await other.runs.open();
    await other.close({ finishRun: false });

    const opened: string[] = [];
    for (let index = 0; index < keptRunsPerJob + 3; index += 1) {
      const next = sink(job, 'replace');
      const { run } = await next.runs.open({ choice: { kind: 'fresh' } });
      await next.write(page(index + 2));
      await next.close({ finishRun: false });
      opened.push(run.id);
    }

    const kept = opened.slice(-keptRunsPerJob);
    const dropped = opened.slice(0, -keptRunsPerJob);
    expect(dropped).toHaveLength(3);
    const runs = await sink(job, 'replace').runs.list();
    expect(runs.map((run) => run.id)).toEqual([...kept.reverse(), marked?.id]);
    expect(runs.at(-1)).toMatchObject({ state: 'finished', watermark: 'mark-1' });
    // Another job's runs are its own to prune.
    expect((await runsOf()).filter((run) => run.job === 'another job')).toHaveLength(1);
    const stored = await admin.query<{ run_id: string }>(
      `SELECT DISTINCT run_id FROM ${escapeIdentifier(schema)}.items__pages`,
    );
    expect(stored.rows.map((row) => row.run_id).filter((id) => dropped.includes(id))).toEqual([]);
    expect(stored.rows.map((row) => row.run_id)).toEqual(expect.arrayContaining(kept));
    const builds = await admin.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'items\\_\\_build\\_%'`,
      [schema],
    );
    const buildRuns = builds.rows.map((row) => row.table_name.replace('items__build_', ''));
    expect(buildRuns.sort()).toEqual([...kept].sort());
  });

  it('indexes the runs table by job, and gives one made before that index its index, unless it may not create tables', async () => {
    await sink('job').runs.open();
    expect(await runsIndexes()).toEqual(['items__runs_by_job']);
    await admin.query(`DROP INDEX ${escapeIdentifier(schema)}.items__runs_by_job`);

    const without = new PostgresSink<Row>({
      ...parsePostgresSinkUrl(`${serverUrl}?schema=${schema}&table=items`),
      recordKey: (row) => row.id,
      job: 'job',
      createTable: false,
    });
    sinks.push(without);
    expect(await without.runs.list()).toHaveLength(1);
    expect(await runsIndexes()).toEqual([]);

    expect(await sink('job').runs.list()).toHaveLength(1);
    expect(await runsIndexes()).toEqual(['items__runs_by_job']);
  });

  it('goes on without the index when its role may not index tables made for it', async () => {
    await sink('job').runs.open();
    await admin.query(`DROP INDEX ${escapeIdentifier(schema)}.items__runs_by_job`);
    const role = `${schema}_writer`;
    await admin.query(`CREATE ROLE ${escapeIdentifier(role)} LOGIN`);
    try {
      await admin.query(`GRANT USAGE ON SCHEMA ${escapeIdentifier(schema)} TO ${escapeIdentifier(role)}`);
      await admin.query(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${escapeIdentifier(schema)} TO ${escapeIdentifier(role)}`,
      );
      const writer = new PostgresSink<Row>({
        ...parsePostgresSinkUrl(
          `postgres://${encodeURIComponent(role)}@${new URL(serverUrl).host}${new URL(serverUrl).pathname}?schema=${schema}&table=items`,
        ),
        recordKey: (row) => row.id,
        job: 'job',
      });
      sinks.push(writer);
      expect(await writer.runs.list()).toHaveLength(1);
      await writer.abort();
      expect(await runsIndexes()).toEqual([]);
    } finally {
      await admin.query(`DROP OWNED BY ${escapeIdentifier(role)}`);
      await admin.query(`DROP ROLE ${escapeIdentifier(role)}`);
    }
  });
});
