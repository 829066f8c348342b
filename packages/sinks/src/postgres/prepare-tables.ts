import type { PoolClient } from 'pg';
import { PostgresSinkError } from './postgres-sink-error.js';
import type { QuotedNames } from './postgres-sink-options.js';
import { createRecordsTableSql } from './records-table-sql.js';
import { sqlFile } from './sql-files.js';

/** What {@link prepareTables} needs to know. */
export type PrepareTablesOptions = {
  readonly names: QuotedNames;
  /** The schema name as given (the advisory lock's key and the catalog lookup). */
  readonly schema: string;
  readonly createTable: boolean;
  /** `false` makes a new records table without a key on the record key (`append`). */
  readonly keyed: boolean;
  /** For messages: `postgres://host:port/db schema.table`. */
  readonly location: string;
};

/**
 * Makes sure the schema, the records table, the pages table and the runs table (with its index
 * by job) exist: looks first, and creates what is missing (when `createTable`) in one
 * transaction under an advisory lock, so that sinks starting together in several processes do
 * not race.
 *
 * @throws {PostgresSinkError} `POSTGRES_TABLE_MISSING` when a table is missing and `createTable`
 * is `false`; what the statements throw otherwise (the caller classifies it).
 */
export async function prepareTables(client: PoolClient, options: PrepareTablesOptions): Promise<void> {
  const { names } = options;
  const records = `${names.schema}.${names.table}`;
  const pages = `${names.schema}.${names.pagesTable}`;
  const runs = `${names.schema}.${names.runsTable}`;
  const found = await client.query<{
    schema: boolean;
    records: boolean;
    pages: boolean;
    runs: boolean;
    pages_by_run: boolean;
    runs_resume_at: boolean;
    runs_by_job: boolean;
  }>(sqlFile('find-tables'), [options.schema, records, pages, runs]);
  const exists = found.rows[0] ?? {
    schema: false,
    records: false,
    pages: false,
    runs: false,
    pages_by_run: false,
    runs_resume_at: false,
    runs_by_job: false,
  };
  const usable =
    exists.records && exists.pages && exists.runs && exists.pages_by_run && exists.runs_resume_at;
  if (usable) {
    if (!exists.runs_by_job && options.createTable) await addRunsIndex(client, options);
    return;
  }
  if (!options.createTable) {
    const missing = [
      exists.records ? undefined : records,
      exists.pages && exists.pages_by_run ? undefined : pages,
      exists.runs ? (exists.runs_resume_at ? undefined : `${runs}'s resume_at column`) : runs,
    ].filter(Boolean);
    throw new PostgresSinkError(
      'POSTGRES_TABLE_MISSING',
      `${missing.join(' and ')} ${missing.length === 1 ? 'does' : 'do'} not exist, and createTable is false.`,
      { location: options.location },
    );
  }
  await client.query('BEGIN');
  await client.query(sqlFile('lock-setup'), [options.schema]);
  if (!exists.schema) await client.query(sqlFile('create-schema', { schema: names.schema }));
  await client.query(createRecordsTableSql(names, options.keyed));
  if (exists.pages && !exists.pages_by_run) {
    // A pages table from before runs: its checkpoints belong to no run, so no run can resume
    // from them. A re-run fetches those pages again, which merging makes harmless.
    await client.query(`DROP TABLE ${pages}`);
  }
  await client.query(sqlFile('create-pages-table', { pages }));
  await client.query(sqlFile('create-runs-table', { runs }));
  if (exists.runs && !exists.runs_resume_at) await client.query(sqlFile('add-resume-at', { runs }));
  await client.query(sqlFile('create-runs-index', { runs, index: names.runsIndex }));
  await client.query('COMMIT');
}

/**
 * Gives a runs table made before its index by job that index, alone: tables made for the sink
 * by another role may not be the sink's to index (nor its schema's to create in). Without it,
 * runs are read by a scan, slower as the table grows but never wrong, so a refusal is no error.
 */
async function addRunsIndex(client: PoolClient, options: PrepareTablesOptions): Promise<void> {
  const { names } = options;
  await client.query('BEGIN');
  try {
    await client.query(sqlFile('lock-setup'), [options.schema]);
    await client.query(
      sqlFile('create-runs-index', { runs: `${names.schema}.${names.runsTable}`, index: names.runsIndex }),
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    if ((error as { code?: unknown }).code !== insufficientPrivilege) throw error;
  }
}

/** SQLSTATE 42501: the role may not do that (here: index a table it does not own). */
const insufficientPrivilege = '42501';
