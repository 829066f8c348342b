import type { QuotedNames } from './postgres-sink-options.js';

type Provenance = {
  readonly column: string;
  readonly type: string;
  /** Its value, read from the page's row of the staging table. */
  readonly source: string;
};

/** The provenance columns the table has, in a fixed order. */
function provenanceOf(names: QuotedNames): Provenance[] {
  const { connector, taskKey, page, fetchedAt } = names.columns;
  const all: Array<Provenance | false> = [
    connector !== undefined && { column: connector, type: 'text', source: "value->>'connector'" },
    taskKey !== undefined && { column: taskKey, type: 'text', source: "value->>'task_key'" },
    page !== undefined && { column: page, type: 'int', source: "(value->>'page')::int" },
    fetchedAt !== undefined && {
      column: fetchedAt,
      type: 'timestamptz',
      source: "(value->>'fetched_at')::timestamptz",
    },
  ];
  return all.filter((entry) => entry !== false);
}

/**
 * `CREATE TABLE IF NOT EXISTS` for the records table: the record as `jsonb`, its key as the
 * primary key (none for `append`, which keeps every copy), and the provenance columns the mapping names. Built here rather than kept in a
 * `.sql` file because the columns depend on the mapping.
 */
export function createRecordsTableSql(names: QuotedNames, keyed = true): string {
  const { record, recordKey } = names.columns;
  const columns = [
    `${record} jsonb NOT NULL`,
    // An append-only table keeps every copy of a record: no key on it (and no index to update).
    `${recordKey} text ${keyed ? 'PRIMARY KEY' : 'NOT NULL'}`,
    ...provenanceOf(names).map(({ column, type }) => `${column} ${type}`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${names.schema}.${names.table} (\n  ${columns.join(',\n  ')}\n)`;
}

/**
 * The statement that moves a staged batch into the records table. The provenance travels once
 * per page, in the page's row of the staging table, not once per record, and is read from it
 * once per page (`p`, MATERIALIZED: inlined, it would be parsed again for every record).
 *
 * - `DISTINCT ON … ORDER BY record_key, page_ord DESC, ord DESC`: of two records with one key in
 *   a batch, the last to arrive wins (the later page, or the later record of one page); without
 *   it the upsert fails with "ON CONFLICT DO UPDATE command cannot affect row a second time".
 * - Rows go in key order, so two writers lock the same keys in the same order and never deadlock.
 * - `ON CONFLICT … DO UPDATE`: a replayed page overwrites its rows, one row per record key.
 * - No parameters: it runs in one simple query with the COPY and the COMMIT (see store-batch.ts).
 */
export function upsertRecordsSql(names: QuotedNames): string {
  const { record, recordKey } = names.columns;
  const provenance = provenanceOf(names);
  const targets = [record, recordKey, ...provenance.map(({ column }) => column)];
  const sources = ['r.value', 'r.record_key', ...provenance.map((_, index) => `p.v${index}`)];
  const updates = targets
    .filter((column) => column !== recordKey)
    .map((column) => `${column} = EXCLUDED.${column}`);
  const pageValues = provenance.map(({ source }, index) => `${source} AS v${index}`);
  return [
    ...(provenance.length > 0
      ? [
          `WITH p AS MATERIALIZED (SELECT page_ord, ${pageValues.join(', ')}`,
          '  FROM pg_temp.capital_sink_staging WHERE record_key IS NULL)',
        ]
      : []),
    `INSERT INTO ${names.schema}.${names.table} (${targets.join(', ')})`,
    `SELECT DISTINCT ON (r.record_key) ${sources.join(', ')}`,
    'FROM pg_temp.capital_sink_staging r',
    ...(provenance.length > 0 ? ['JOIN p ON p.page_ord = r.page_ord'] : []),
    'WHERE r.record_key IS NOT NULL',
    'ORDER BY r.record_key, r.page_ord DESC, r.ord DESC',
    `ON CONFLICT (${recordKey}) DO UPDATE SET ${updates.join(', ')}`,
  ].join('\n');
}

/**
 * A merge batch's records step: first a plain `INSERT` of the staged records, and the upsert
 * ({@link upsertRecordsSql}) only when a record key is stored already (`unique_violation`: the
 * block's subtransaction rolls the INSERT back, and the upsert runs instead). A plain INSERT is
 * about a third cheaper for the server than `ON CONFLICT`, which checks the key before each row
 * and confirms the row after it (a WAL record more per row). So new keys (a first load, a new
 * table) pay the INSERT; a batch with stored keys pays the INSERT up to its first stored key (in
 * key order), then the upsert. A writer racing on the same keys ends in the upsert too.
 * Same statement shape as the upsert: no parameters, run within the batch's one simple query.
 */
export function mergeRecordsSql(names: QuotedNames): string {
  const upsert = upsertRecordsSql(names);
  const insert = upsert.slice(0, upsert.lastIndexOf('\nON CONFLICT'));
  // A dollar-quote tag the body cannot hold (a quoted table name may hold almost anything).
  let tag = '$capital$';
  for (let n = 1; upsert.includes(tag); n += 1) tag = `$capital${n}$`;
  return `DO ${tag} BEGIN\n${insert};\nEXCEPTION WHEN unique_violation THEN\n${upsert};\nEND ${tag}`;
}
