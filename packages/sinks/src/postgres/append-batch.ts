import type { PoolClient } from 'pg';
import type { SinkPage } from '../sink.js';
import { escapeCopyText, type PageValues } from './copy-rows.js';
import type { CopyPiece } from './pipelined-copy.js';
import type { QuotedNames } from './postgres-sink-options.js';
import { quoteLiteral } from './quote-literal.js';
import { staleRunsOf } from './stale-runs.js';
import { type BeforeCommit, copyAndCommit } from './store-batch.js';

/** The provenance columns the table has, in a fixed order, with where each value comes from. */
function provenanceOf(names: QuotedNames) {
  const { columns } = names;
  return [
    columns.connector !== undefined && ([columns.connector, (v: PageValues) => v.connector] as const),
    columns.taskKey !== undefined && ([columns.taskKey, (v: PageValues) => v.taskKey] as const),
    columns.page !== undefined && ([columns.page, (v: PageValues) => v.page] as const),
    columns.fetchedAt !== undefined && ([columns.fetchedAt, (v: PageValues) => v.fetchedAt] as const),
  ].filter((entry) => entry !== false);
}

/**
 * The fields {@link appendBatch}'s COPY writes after each record of a page (`copyLines`' `tail`):
 * the page's provenance, the same on every row since nothing joins it in.
 */
export function appendTail(names: QuotedNames, values: PageValues): string {
  let tail = '';
  for (const [, value] of provenanceOf(names)) {
    const field = value(values);
    tail += field === null ? '\t\\N' : `\t${escapeCopyText(String(field))}`;
  }
  return tail;
}

/**
 * A page's row of the pages table, as SQL literals (`quoteLiteral`): the simple query that
 * holds a COPY takes no parameters. Its values were checked when the page was staged (`pageLine`).
 */
export function pagesRow(page: SinkPage, values: PageValues, records: number): string {
  return (
    `(${quoteLiteral(values.runId)}, ${quoteLiteral(page.key)}, ` +
    `${quoteLiteral(JSON.stringify(page.nextTasks))}::jsonb, ${records})`
  );
}

/**
 * A page as {@link appendBatch} stores it: its lines of the COPY (`copyLines` with `appendTail`),
 * ready or still being encoded, and its checkpoint (`pagesRow`). A `StagedPage` is one.
 */
export type AppendPage = {
  readonly page: SinkPage;
  readonly records: number;
  readonly values: Pick<PageValues, 'runId'>;
  readonly pagesRow: string;
  readonly data: CopyPiece;
};

/** Options of {@link appendBatch}. */
export type AppendBatchOptions = {
  /**
   * Whether a page of the batch may have been stored already by another delivery of it (a
   * worker's job run twice: a stalled worker's, taken again): then the pages' checkpoints are
   * inserted first, and only the pages whose checkpoint is new have their rows copied. Costs
   * one more round trip per batch; a single `capital run` never writes a page twice and skips it.
   * @default false
   */
  readonly replayed?: boolean | undefined;
  /**
   * With `replayed`: the schema-qualified runs table, quoted. A page whose run is no longer
   * `running` (it finished, or a newer run of its job superseded it) is then stored not at all:
   * a late delivery (a stalled worker's job) must not add rows to a run that is over, whose
   * checkpoints a later run's finish may have deleted.
   */
  readonly runsTable?: string | undefined;
  /** Statements to run in the batch's transaction before its `COMMIT` (finishing the run). */
  readonly beforeCommit?: BeforeCommit | undefined;
};

/** What {@link appendBatch} did besides storing. */
export type AppendBatchResult = {
  /** The runs, among the batch's, that are over: their pages were dropped (see `runsTable`). */
  readonly staleRuns: ReadonlySet<string>;
};

/**
 * Stores a batch for `append` and `replace`: a `COPY` straight into `target` (the records table,
 * or a `replace` run's build table) — no staging table, no upsert, no sort — and the pages'
 * checkpoints, in one transaction: `BEGIN; COPY …; INSERT INTO pages …`, then `COMMIT`, as
 * `storeBatch` does. Each page's rows are ready (`copyLines` with `appendTail`, `pagesRow`), or
 * still being encoded: they are then streamed (see `PipelinedCopy`), and a page that fails to
 * encode fails the COPY, so that no checkpoint commits without its page's rows.
 *
 * With `replayed`, the transaction is `BEGIN; INSERT INTO pages … ON CONFLICT DO NOTHING
 * RETURNING …`, then the `COPY` of the pages it inserted, then `COMMIT`: a page whose
 * checkpoint its run holds already adds no row. Two deliveries of one page at once serialise on
 * the checkpoint's primary key, so the second waits for the first to commit and then skips.
 *
 * @param target - The schema-qualified table, quoted.
 * @throws {SinkWriteError} as `storeBatch` says; the transaction is then left aborted.
 */
export async function appendBatch(
  client: PoolClient,
  names: QuotedNames,
  target: string,
  batch: readonly AppendPage[],
  options: AppendBatchOptions = {},
): Promise<AppendBatchResult> {
  const { columns } = names;
  const targets = [columns.recordKey, columns.record, ...provenanceOf(names).map(([column]) => column)];
  const copy = `COPY ${target} (${targets.join(', ')}) FROM STDIN`;
  // Of a page twice in one batch the last wins, as in the merge's pages upsert. Sorted, so that
  // two batches insert shared checkpoints in one order and cannot deadlock.
  const last = new Map<string, AppendPage>();
  for (const staged of batch) last.set(pageId(staged), staged);
  const pages = [...last.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const checkpoints = `INSERT INTO ${names.schema}.${names.pagesTable} (run_id, task_key, next_tasks, records) VALUES ${pages
    .map(([, staged]) => staged.pagesRow)
    .join(', ')}`;
  if (options.replayed !== true) {
    const statement = [
      'BEGIN',
      copy,
      `${checkpoints}
ON CONFLICT (run_id, task_key) DO UPDATE SET next_tasks = EXCLUDED.next_tasks, records = EXCLUDED.records, stored_at = now()`,
    ].join(';\n');
    await copyAndCommit(
      client,
      statement,
      batch.map((staged) => staged.data),
      batch,
      false,
      options.beforeCommit,
    );
    return { staleRuns: new Set() };
  }
  await client.query('BEGIN');
  const staleRuns =
    options.runsTable === undefined
      ? new Set<string>()
      : await staleRunsOf(
          client,
          options.runsTable,
          pages.map(([, staged]) => staged.values.runId),
        );
  const live = pages.filter(([, staged]) => !staleRuns.has(staged.values.runId));
  const inserted =
    live.length === 0
      ? { rows: [] }
      : await client.query<{ run_id: string; task_key: string }>(
          `INSERT INTO ${names.schema}.${names.pagesTable} (run_id, task_key, next_tasks, records) VALUES ${live
            .map(([, staged]) => staged.pagesRow)
            .join(', ')} ON CONFLICT (run_id, task_key) DO NOTHING RETURNING run_id, task_key`,
        );
  const fresh = new Set(inserted.rows.map((row) => `${row.run_id}\t${row.task_key}`));
  const kept = live.filter(([id]) => fresh.has(id)).map(([, staged]) => staged);
  if (kept.length === 0) {
    await options.beforeCommit?.(client);
    await client.query('COMMIT');
    return { staleRuns };
  }
  await copyAndCommit(
    client,
    copy,
    kept.map((staged) => staged.data),
    kept,
    false,
    options.beforeCommit,
  );
  return { staleRuns };
}

/** A page's checkpoint key: its run and task key. */
function pageId(staged: AppendPage): string {
  return `${staged.values.runId}\t${staged.page.key}`;
}
