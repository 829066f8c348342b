// A run finished in the transaction of its last page, and late pages of runs that are over,
// against the real PostgreSQL: the runs row and the last page's checkpoint share one `xmin`
// (the id of the transaction that wrote them).
import type { WriteDisposition } from '@capital/core';
import { escapeIdentifier, type Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parsePostgresSinkUrl } from '../../src/postgres/parse-postgres-sink-url.js';
import { PostgresSink } from '../../src/postgres/postgres-sink.js';
import type { SinkPage } from '../../src/sink.js';
import { adminPool, dropSchema, schemaName, serverUrl } from './fixtures/postgres.js';

type Row = { readonly id: string; readonly version?: string };

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

function sink(job: string, disposition?: WriteDisposition, maxPendingWrites?: number): PostgresSink<Row> {
  const opened = new PostgresSink<Row>({
    ...parsePostgresSinkUrl(`${serverUrl}?schema=${schema}&table=items`),
    stream: 'test.items',
    recordKey: (row) => row.id,
    job,
    ...(disposition === undefined ? {} : { disposition }),
    ...(maxPendingWrites === undefined ? {} : { maxPendingWrites }),
  });
  sinks.push(opened);
  return opened;
}

function page(n: number, options: { readonly last?: boolean; readonly runId?: string } = {}): SinkPage<Row> {
  return {
    key: `page-${n}`,
    task: { type: 'test.items', page: n },
    data: [{ id: `r${n}` }],
    nextTasks: [],
    fetchedAt: Date.now(),
    ...(options.last === true ? { last: true } : {}),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
  };
}

const table = (name: string): string => `${escapeIdentifier(schema)}.${escapeIdentifier(name)}`;

type RunRow = { state: string; watermark: string | null; pages: number; xmin: string };

async function runRow(runId: string): Promise<RunRow | undefined> {
  const found = await admin.query<RunRow>(
    `SELECT state, watermark, pages, xmin::text FROM ${table('items__runs')} WHERE run_id = $1`,
    [runId],
  );
  return found.rows[0];
}

/** The xmin of each page checkpoint of run `runId`, by task key. */
async function checkpointXmins(runId: string): Promise<Map<string, string>> {
  const found = await admin.query<{ task_key: string; xmin: string }>(
    `SELECT task_key, xmin::text FROM ${table('items__pages')} WHERE run_id = $1`,
    [runId],
  );
  return new Map(found.rows.map((row) => [row.task_key, row.xmin]));
}

async function recordKeys(name: string): Promise<string[]> {
  const found = await admin.query<{ record_key: string }>(`SELECT record_key FROM ${table(name)}`);
  return found.rows.map((row) => row.record_key).sort();
}

const watermarkOf = { watermark: (run: { startedAt: number }) => new Date(run.startedAt).toISOString() };

describe('PostgresSink finishing a run with its last page', () => {
  it.each(['merge', 'append', 'replace'] as const)(
    '%s: commits the run finished, with its watermark, in the transaction of the last page',
    async (disposition) => {
      if (disposition !== 'merge') {
        const old = sink('job', disposition);
        await old.write(page(9));
        await old.close();
      }
      const writer = sink('job', disposition);
      const { run } = await writer.runs.open({ choice: { kind: 'fresh' }, finish: watermarkOf });
      await writer.write(page(1));
      await writer.write(page(2));
      expect(await runRow(run.id)).toMatchObject({ state: 'running' });
      await writer.write(page(3, { last: true }));

      // Before close(): the last page's write finished the run.
      const finished = await runRow(run.id);
      const xmins = await checkpointXmins(run.id);
      expect(finished).toMatchObject({
        state: 'finished',
        pages: 3,
        watermark: new Date(run.startedAt).toISOString(),
      });
      expect(finished?.xmin).toBe(xmins.get('page-3'));
      expect(xmins.get('page-2')).not.toBe(finished?.xmin);
      if (disposition === 'replace') {
        // Swapped in by that transaction too: the new table holds the run's records only.
        expect(await recordKeys('items')).toEqual(['r1', 'r2', 'r3']);
        const swapped = await admin.query<{ xmin: string }>(
          `SELECT xmin::text FROM ${table('items')} WHERE record_key = 'r3'`,
        );
        expect(swapped.rows[0]?.xmin).toBe(finished?.xmin);
      }

      // close() finds it finished and finishes nothing again.
      await writer.close();
      expect(await runRow(run.id)).toEqual(finished);
    },
  );

  it('finishes in the transaction that stores the last page after every earlier batch, with many writes in flight', async () => {
    const writer = sink('job', 'merge', 64);
    const { run } = await writer.runs.open({ finish: watermarkOf });
    const count = 200;
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        writer.write(page(index + 1, { last: index + 1 === count })),
      ),
    );
    const finished = await runRow(run.id);
    const xmins = await checkpointXmins(run.id);
    // The runs row counted the checkpoints its transaction saw: every page's, so all committed before.
    expect(finished).toMatchObject({ state: 'finished', pages: count });
    expect(xmins.size).toBe(count);
    expect(finished?.xmin).toBe(xmins.get(`page-${count}`));
    await writer.close();
  });

  it('leaves the run to close() when it was opened without finish', async () => {
    const writer = sink('job');
    const { run } = await writer.runs.open();
    await writer.write(page(1, { last: true }));
    expect(await runRow(run.id)).toMatchObject({ state: 'running' });
    await writer.close({ watermark: 'w' });
    const finished = await runRow(run.id);
    expect(finished).toMatchObject({ state: 'finished', watermark: 'w', pages: 1 });
    expect(finished?.xmin).not.toBe((await checkpointXmins(run.id)).get('page-1'));
  });

  it('does not finish the run with its last page when an earlier page failed', async () => {
    const writer = sink('job');
    const { run } = await writer.runs.open({ finish: watermarkOf });
    await writer.write(page(1));
    const bad: SinkPage<Row> = { ...page(2), data: [{ id: 'r2\u0000' }] };
    await expect(writer.write(bad)).rejects.toMatchObject({ code: 'RECORD_NOT_SERIALISABLE' });
    await writer.write(page(3, { last: true }));
    expect(await runRow(run.id)).toMatchObject({ state: 'running' });
    await writer.close();
    expect(await runRow(run.id)).toMatchObject({ state: 'running' });
  });
});

describe('PostgresSink and late pages of runs that are over', () => {
  it.each(['append', 'replace', 'merge'] as const)(
    '%s: stores nothing of a page whose run finished before a later run of its job finished',
    async (disposition) => {
      const enqueuer = sink('job', disposition);
      const first = await enqueuer.runs.open();
      await enqueuer.close({ finishRun: false });
      const worker = sink('workers');
      await worker.write(page(1, { runId: first.run.id }));
      expect(await worker.runs.finish?.(first.run.id)).toBe(true);
      // A later run of the job finishes too: its finish deletes the first run's checkpoints.
      const again = sink('job', disposition);
      const second = await again.runs.open();
      await again.close({ finishRun: false });
      await worker.write(page(2, { runId: second.run.id }));
      expect(await worker.runs.finish?.(second.run.id)).toBe(true);
      expect(await checkpointXmins(first.run.id)).toEqual(new Map());
      const before = await recordKeys('items');

      // The first run's page 1, delivered again late (a stalled worker's job): dropped, not failed.
      const receipt = await worker.write(page(1, { runId: first.run.id }));
      expect(receipt).toEqual({ key: 'page-1', records: 0, stale: true });
      expect(worker.stalePages).toBe(1);
      expect(await recordKeys('items')).toEqual(before);
      expect(await checkpointXmins(first.run.id)).toEqual(new Map());
    },
  );

  it('merge: a late page of a finished run does not upsert its older record over a later run’s', async () => {
    const enqueuer = sink('job', 'merge');
    const first = await enqueuer.runs.open();
    await enqueuer.close({ finishRun: false });
    const worker = sink('workers');
    const older = { ...page(1, { runId: first.run.id }), data: [{ id: 'r1', version: 'old' }] };
    await worker.write(older);
    expect(await worker.runs.finish?.(first.run.id)).toBe(true);
    const again = sink('job', 'merge');
    const second = await again.runs.open();
    await again.close({ finishRun: false });
    await worker.write({ ...page(1, { runId: second.run.id }), data: [{ id: 'r1', version: 'new' }] });
    expect(await worker.runs.finish?.(second.run.id)).toBe(true);

    // The first run's page again, late, beside a page of a running run in the same batch.
    const third = sink('job', 'merge');
    const running = await third.runs.open();
    await third.close({ finishRun: false });
    const receipts = await Promise.all([
      worker.write(older),
      worker.write({ ...page(2, { runId: running.run.id }), data: [{ id: 'r2', version: 'new' }] }),
    ]);
    expect(receipts).toEqual([
      { key: 'page-1', records: 0, stale: true },
      { key: 'page-2', records: 1 },
    ]);
    const found = await admin.query<{ record_key: string; version: string }>(
      `SELECT record_key, record->>'version' AS version FROM ${table('items')} ORDER BY record_key`,
    );
    expect(found.rows).toEqual([
      { record_key: 'r1', version: 'new' },
      { record_key: 'r2', version: 'new' },
    ]);
  });

  it('stores each page racing its run’s finish before the finish, or not at all', async () => {
    const enqueuer = sink('job', 'append');
    const { run } = await enqueuer.runs.open();
    await enqueuer.close({ finishRun: false });
    const workers = [sink('workers'), sink('workers'), sink('workers')];
    const count = 30;
    const [receipts] = await Promise.all([
      Promise.all(
        Array.from({ length: count }, (_, index) =>
          (workers[index % 3] as PostgresSink<Row>).write(page(index + 1, { runId: run.id })),
        ),
      ),
      new Promise((resolve) => setTimeout(resolve, 5)).then(() => workers[0]?.runs.finish?.(run.id)),
    ]);
    const stored = receipts.filter((receipt) => receipt.stale !== true).length;
    // The finish counted the checkpoints its transaction saw: none came after it.
    expect(await runRow(run.id)).toMatchObject({ state: 'finished', pages: stored });
    expect((await checkpointXmins(run.id)).size).toBe(stored);
    expect(await recordKeys('items')).toHaveLength(stored);
  });

  it('stores nothing of a page whose run a newer run of its job superseded', async () => {
    const enqueuer = sink('job', 'append');
    const first = await enqueuer.runs.open();
    await enqueuer.close({ finishRun: false });
    const again = sink('job', 'append');
    await again.runs.open({ choice: { kind: 'fresh' } });
    await again.close({ finishRun: false });
    const worker = sink('workers');
    const receipt = await worker.write(page(1, { runId: first.run.id }));
    expect(receipt).toMatchObject({ records: 0, stale: true });
    expect(await recordKeys('items')).toEqual([]);
  });

  it('stores a batch of pages of a running run beside a late page of a finished one', async () => {
    const enqueuer = sink('job', 'append');
    const first = await enqueuer.runs.open();
    await enqueuer.close({ finishRun: false });
    const worker = sink('workers');
    expect(await worker.runs.finish?.(first.run.id)).toBe(true);
    const next = sink('job', 'append');
    const second = await next.runs.open();
    await next.close({ finishRun: false });
    const receipts = await Promise.all([
      worker.write(page(1, { runId: first.run.id })),
      worker.write(page(2, { runId: second.run.id })),
    ]);
    expect(receipts).toEqual([
      { key: 'page-1', records: 0, stale: true },
      { key: 'page-2', records: 1 },
    ]);
    expect(await recordKeys('items')).toEqual(['r2']);
  });
});
