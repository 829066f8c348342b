import type { PoolClient } from 'pg';
import { escapeLiteral } from 'pg';
import type { SinkPage } from '../sink.js';
import { type CopyRows, escapeCopyText, type PageValues } from './copy-rows.js';
import type { QuotedNames } from './postgres-sink-options.js';
import { copyAndCommit, type StagedPage } from './store-batch.js';

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
 * A page's rows for {@link appendBatch}'s COPY, encoded when the page arrives (while the batch
 * before it is in the server): `record key TAB record JSON`, then the page's provenance, the
 * same on every row since nothing joins it in.
 */
export function appendData(names: QuotedNames, rows: CopyRows, values: PageValues): Buffer {
  let suffix = '';
  for (const [, value] of provenanceOf(names)) {
    const field = value(values);
    suffix += field === null ? '\t\\N' : `\t${escapeCopyText(String(field))}`;
  }
  let text = '';
  for (const line of rows.lines) text += `${line}${suffix}\n`;
  return Buffer.from(text, 'utf8');
}

/**
 * A page's row of the pages table, as SQL literals (`escapeLiteral`): the simple query that
 * holds a COPY takes no parameters. Its values were checked when the page was staged (`pageLine`).
 */
export function pagesRow(page: SinkPage, values: PageValues, records: number): string {
  return (
    `(${escapeLiteral(values.runId)}, ${escapeLiteral(page.key)}, ` +
    `${escapeLiteral(JSON.stringify(page.nextTasks))}::jsonb, ${records})`
  );
}

/**
 * Stores a batch for `append` and `replace`: a `COPY` straight into `target` (the records table,
 * or a `replace` run's build table) — no staging table, no upsert, no sort — and the pages'
 * checkpoints, in one transaction: `BEGIN; COPY …; INSERT INTO pages …`, then `COMMIT`, as
 * `storeBatch` does. Each page's rows are ready (`appendData`, `pagesRow`): the batch only
 * joins them.
 *
 * @param target - The schema-qualified table, quoted.
 * @throws {SinkWriteError} as `storeBatch` says; the transaction is then left aborted.
 */
export async function appendBatch(
  client: PoolClient,
  names: QuotedNames,
  target: string,
  batch: readonly StagedPage[],
): Promise<void> {
  const { columns } = names;
  const targets = [columns.recordKey, columns.record, ...provenanceOf(names).map(([column]) => column)];
  const pages = new Map<string, string>();
  // Of a page twice in one batch the last wins, as in the merge's pages upsert.
  for (const staged of batch) pages.set(staged.page.key, staged.pagesRow);
  const statement = [
    'BEGIN',
    `COPY ${target} (${targets.join(', ')}) FROM STDIN`,
    `INSERT INTO ${names.schema}.${names.pagesTable} (run_id, task_key, next_tasks, records) VALUES ${[...pages.values()].join(', ')}
ON CONFLICT (run_id, task_key) DO UPDATE SET next_tasks = EXCLUDED.next_tasks, records = EXCLUDED.records, stored_at = now()`,
  ].join(';\n');
  await copyAndCommit(
    client,
    statement,
    batch.map((staged) => staged.data),
    batch,
    false,
  );
}
