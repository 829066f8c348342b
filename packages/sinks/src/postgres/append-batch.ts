import type { PoolClient } from 'pg';
import { escapeLiteral } from 'pg';
import { escapeCopyText, type PageValues } from './copy-rows.js';
import type { QuotedNames } from './postgres-sink-options.js';
import { copyAndCommit, type StagedPage } from './store-batch.js';

/**
 * Stores a batch for `append` and `replace`: a `COPY` straight into `target` (the records table,
 * or a `replace` run's build table) — no staging table, no upsert, no sort — and the pages'
 * checkpoints, in one transaction: `BEGIN; COPY …; INSERT INTO pages …`, then `COMMIT`, as
 * {@link storeBatch} does. Every row carries its page's provenance, since nothing joins it in.
 *
 * The checkpoint rows travel as literals (`escapeLiteral`): the simple query that holds a COPY
 * takes no parameters. Their values were checked when the page was staged (`pageLine`).
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
  const provenance = [
    columns.connector !== undefined && ([columns.connector, (v: PageValues) => v.connector] as const),
    columns.taskKey !== undefined && ([columns.taskKey, (v: PageValues) => v.taskKey] as const),
    columns.page !== undefined && ([columns.page, (v: PageValues) => v.page] as const),
    columns.fetchedAt !== undefined && ([columns.fetchedAt, (v: PageValues) => v.fetchedAt] as const),
  ].filter((entry) => entry !== false);
  const targets = [columns.recordKey, columns.record, ...provenance.map(([column]) => column)];
  let text = '';
  const pages = new Map<string, string>();
  for (const staged of batch) {
    let suffix = '';
    for (const [, value] of provenance) {
      const field = value(staged.values);
      suffix += field === null ? '\t\\N' : `\t${escapeCopyText(String(field))}`;
    }
    // A record line is `ordinal TAB key TAB json`: the ordinal only orders an upsert.
    for (const line of staged.rows.lines) text += `${line.slice(line.indexOf('\t') + 1)}${suffix}\n`;
    // Of a page twice in one batch the last wins, as in the merge's pages upsert.
    pages.set(
      staged.page.key,
      `(${escapeLiteral(staged.values.runId)}, ${escapeLiteral(staged.page.key)}, ` +
        `${escapeLiteral(JSON.stringify(staged.page.nextTasks))}::jsonb, ${staged.rows.rows})`,
    );
  }
  const statement = [
    'BEGIN',
    `COPY ${target} (${targets.join(', ')}) FROM STDIN`,
    `INSERT INTO ${names.schema}.${names.pagesTable} (run_id, task_key, next_tasks, records) VALUES ${[...pages.values()].join(', ')}
ON CONFLICT (run_id, task_key) DO UPDATE SET next_tasks = EXCLUDED.next_tasks, records = EXCLUDED.records, stored_at = now()`,
  ].join(';\n');
  await copyAndCommit(client, statement, text, batch, false);
}
