import type { QuotedNames } from './postgres-sink-options.js';

/** What a page writes besides its records: one value per provenance column, the same for every row. */
export type PageValues = {
  readonly connector: string | null;
  readonly taskKey: string;
  readonly page: number | null;
  readonly fetchedAt: string | null;
};

type Provenance = {
  readonly column: string;
  readonly type: string;
  readonly value: (page: PageValues) => unknown;
};

/** The provenance columns the table has, in a fixed order. */
function provenanceOf(names: QuotedNames): Provenance[] {
  const { connector, taskKey, page, fetchedAt } = names.columns;
  const all: Array<Provenance | false> = [
    connector !== undefined && { column: connector, type: 'text', value: (values) => values.connector },
    taskKey !== undefined && { column: taskKey, type: 'text', value: (values) => values.taskKey },
    page !== undefined && { column: page, type: 'int', value: (values) => values.page },
    fetchedAt !== undefined && {
      column: fetchedAt,
      type: 'timestamptz',
      value: (values) => values.fetchedAt,
    },
  ];
  return all.filter((entry) => entry !== false);
}

/**
 * `CREATE TABLE IF NOT EXISTS` for the records table: the record as `jsonb`, its key as the
 * primary key, and the provenance columns the mapping names. Built here rather than kept in a
 * `.sql` file because the columns depend on the mapping.
 */
export function createRecordsTableSql(names: QuotedNames): string {
  const { record, recordKey } = names.columns;
  const columns = [
    `${record} jsonb NOT NULL`,
    `${recordKey} text PRIMARY KEY`,
    ...provenanceOf(names).map(({ column, type }) => `${column} ${type}`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${names.schema}.${names.table} (\n  ${columns.join(',\n  ')}\n)`;
}

/**
 * The statement that moves a staged page into the records table, and its parameters. The
 * provenance travels once per page as parameters, not once per row through COPY.
 *
 * - `DISTINCT ON … ORDER BY record_key, ord DESC`: when a page holds two records with one key,
 *   the last wins; without it the upsert fails with "ON CONFLICT DO UPDATE command cannot affect
 *   row a second time".
 * - Rows go in key order, so two writers lock the same keys in the same order and never deadlock.
 * - `ON CONFLICT … DO UPDATE`: a replayed page overwrites its rows, one row per record key.
 */
export function upsertRecordsSql(names: QuotedNames): {
  readonly text: string;
  readonly values: (page: PageValues) => unknown[];
} {
  const { record, recordKey } = names.columns;
  const provenance = provenanceOf(names);
  const targets = [record, recordKey, ...provenance.map(({ column }) => column)];
  const sources = ['record', 'record_key', ...provenance.map(({ type }, index) => `$${index + 1}::${type}`)];
  const updates = targets
    .filter((column) => column !== recordKey)
    .map((column) => `${column} = EXCLUDED.${column}`);
  const text = [
    `INSERT INTO ${names.schema}.${names.table} (${targets.join(', ')})`,
    `SELECT DISTINCT ON (record_key) ${sources.join(', ')}`,
    'FROM pg_temp.capital_sink_staging',
    'ORDER BY record_key, ord DESC',
    `ON CONFLICT (${recordKey}) DO UPDATE SET ${updates.join(', ')}`,
  ].join('\n');
  return { text, values: (page) => provenance.map(({ value }) => value(page)) };
}
