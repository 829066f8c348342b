import {
  InvalidOptionError,
  type RetryOptions,
  type RetryPolicy,
  resolveRetryPolicy,
  type WriteDisposition,
} from '@capital/core';
import type { Pool } from 'pg';
import type { RecordKey } from '../sink.js';
import { prefixOf, quoteIdentifier, tableNameOf } from './quote-identifier.js';

/**
 * Which column of the table receives what. Only `record` and `recordKey` are required: leave a
 * provenance column out and it is not written, so the sink fits a table of yours as it is.
 */
export type PostgresSinkColumns = {
  /** The record, as `jsonb` (a `json` or `text` column works too). */
  readonly record: string;
  /** The record key, as `text`; needs a unique index (the default table makes it the primary key). */
  readonly recordKey: string;
  /** The connector's name (`text`). */
  readonly connector?: string;
  /** The task key of the page the record came from (`text`). */
  readonly taskKey?: string;
  /** The page number of that task, where it has one (`int`). */
  readonly page?: string;
  /** When the page was fetched (`timestamptz`). */
  readonly fetchedAt?: string;
};

/** Options of `PostgresSink`. */
export type PostgresSinkOptions<D> = {
  /**
   * Where to write: a `pg.Pool` of yours (the sink borrows connections and never ends it), a
   * connection string (`postgres://user@host:5432/db`), or nothing, in which case pg reads
   * `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` and `PGDATABASE`. The sink ends a pool it made.
   * @default undefined (the `PG*` environment variables, as pg reads them)
   */
  readonly connection?: Pool | string | undefined;
  /**
   * The schema of both tables; created when missing, if `createTable`.
   * @default 'public'
   */
  readonly schema?: string | undefined;
  /**
   * The stream the records belong to, such as the task type `wtd.stock_search`. Names the
   * default table; give `table` instead to name it yourself.
   * @default undefined (then `table` is required)
   */
  readonly stream?: string | undefined;
  /**
   * The records table, used exactly as given (quoted: `Listings` is not `listings`).
   * @default the stream name in lower case with other characters than `a-z0-9_` as `_`: `wtd_stock_search`
   */
  readonly table?: string | undefined;
  /**
   * The table of stored pages (task key, next tasks), which the checkpoint reads.
   * @default `${table}__pages`
   */
  readonly pagesTable?: string | undefined;
  /**
   * The value of the `connector` column.
   * @default the page's task type up to its first dot: `wtd` for `wtd.stock_search`
   */
  readonly connector?: string | undefined;
  /**
   * The table of runs (id, job, state, disposition, watermark).
   * @default `${table}__runs`
   */
  readonly runsTable?: string | undefined;
  /**
   * The job the sink's runs belong to: whoever runs a connector names it after the connector and
   * its parameters, so that a re-run of the same job resumes or refreshes it.
   * @default 'default'
   */
  readonly job?: string | undefined;
  /**
   * What a finished run does with the rows stored before it. `merge` upserts by record key (one
   * row per key); `append` copies the records in as they come (no upsert: a table without a key
   * on the record key, made so when the sink creates it); `replace` copies them into a new table
   * and, when the run finishes, swaps it in for the old one in one transaction (indexed once,
   * at the end); a run that fails before leaves the old table as it was.
   * @default 'merge'
   */
  readonly disposition?: WriteDisposition | undefined;
  /** Says which field identifies a record: one row per key, whatever the replays. */
  readonly recordKey: RecordKey<D>;
  /**
   * Column names, for a table of your own.
   * @default { record: 'record', recordKey: 'record_key', connector: 'connector', taskKey: 'task_key', page: 'page', fetchedAt: 'fetched_at' }
   */
  readonly columns?: PostgresSinkColumns | undefined;
  /**
   * Creates the schema, the records table and the pages table when they are missing. With
   * `false`, a missing table fails the first write with `POSTGRES_TABLE_MISSING`.
   * @default true
   */
  readonly createTable?: boolean | undefined;
  /**
   * How long to wait for a connection before failing with `POSTGRES_UNREACHABLE`, in ms.
   * @default 10_000
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * How long a transient failure is retried, in ms from the first attempt: no connection
   * (refused, reset, timed out), a connection that drops, a server shutting down or starting up
   * (SQLSTATE 57P01, 57P02, 57P03, class 08), too many connections (53300), a deadlock. A batch
   * is retried whole on a new connection, and a page is idempotent, so writing it again is
   * always safe. Once spent, the write fails with the last failure's code and a message that
   * says how long it tried. The last attempt starts before the budget runs out; it may take up
   * to `connectTimeoutMs` more.
   * @default 30_000
   */
  readonly retryBudgetMs?: number | undefined;
  /**
   * The backoff between retries (`minTimeoutMs`, `maxTimeoutMs`, `factor`, `randomize`), and,
   * with `retries`, a cap on their number besides `retryBudgetMs`. `false` fails at once.
   * @default { minTimeoutMs: 250, maxTimeoutMs: 2_000 } (no cap: the budget decides)
   */
  readonly retry?: RetryOptions | false | undefined;
  /**
   * How many writes the sink takes at once (`writeTo` keeps that many pages in flight). Pages
   * that arrive while a transaction runs wait, and the next transaction stores all of them:
   * one COPY, one upsert, one COMMIT for the lot, so durability costs one commit per batch.
   * High, so that small pages form large batches: what bounds them is the records
   * (`maxBatchRows`, and the sink's `maxPendingRecords`, twice that, which `capital run` lets
   * the crawl fetch ahead).
   * @default 1024
   */
  readonly maxPendingWrites?: number | undefined;
  /**
   * The most records one transaction takes from the waiting pages (a larger page still goes, alone).
   * @default 10_000
   */
  readonly maxBatchRows?: number | undefined;
};

/** The default column names. */
export const defaultColumns = {
  record: 'record',
  recordKey: 'record_key',
  connector: 'connector',
  taskKey: 'task_key',
  page: 'page',
  fetchedAt: 'fetched_at',
} as const satisfies Required<PostgresSinkColumns>;

/** Every name quoted for SQL; `undefined` for a column the table does not have. */
export type QuotedNames = {
  readonly schema: string;
  readonly table: string;
  readonly pagesTable: string;
  readonly runsTable: string;
  /** The runs table's index by job, named after it (cut to fit 63 bytes). */
  readonly runsIndex: string;
  readonly columns: { readonly [K in keyof PostgresSinkColumns]-?: string | undefined };
};

/** {@link PostgresSinkOptions} checked, with defaults filled in. */
export type PostgresSinkConfig<D> = {
  readonly connection: Pool | string | undefined;
  /** The names as given, for messages and the summary. */
  readonly schema: string;
  readonly table: string;
  readonly names: QuotedNames;
  readonly connector: string | undefined;
  readonly job: string;
  readonly disposition: WriteDisposition;
  readonly recordKey: RecordKey<D>;
  readonly createTable: boolean;
  readonly connectTimeoutMs: number;
  /** The backoff between retries. */
  readonly retry: RetryPolicy;
  /** The most retries: `Infinity` unless `retry.retries` caps them, 0 when retrying is off. */
  readonly maxRetries: number;
  readonly retryBudgetMs: number;
  readonly maxPendingWrites: number;
  readonly maxBatchRows: number;
};

/** Checks the options once, where they enter, and quotes every name. */
export function resolvePostgresSinkOptions<D>(options: PostgresSinkOptions<D>): PostgresSinkConfig<D> {
  if (typeof options.recordKey !== 'function') {
    throw new InvalidOptionError('recordKey', 'must be a function that returns the key of a record.');
  }
  const schema = options.schema ?? 'public';
  const table = options.table ?? (options.stream === undefined ? undefined : tableNameOf(options.stream));
  if (table === undefined || table === '') {
    throw new InvalidOptionError(
      'table',
      'give `table`, or a `stream` with letters or digits to name it after.',
    );
  }
  const pagesTable = options.pagesTable ?? `${table}__pages`;
  const runsTable = options.runsTable ?? `${table}__runs`;
  const disposition = options.disposition ?? 'merge';
  if (!['append', 'merge', 'replace'].includes(disposition)) {
    throw new InvalidOptionError(
      'disposition',
      `must be append, merge or replace, got ${String(disposition)}.`,
    );
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw new InvalidOptionError(
      'connectTimeoutMs',
      `must be a whole number of ms ≥ 1, got ${connectTimeoutMs}.`,
    );
  }
  const retryBudgetMs = options.retryBudgetMs ?? 30_000;
  if (!Number.isFinite(retryBudgetMs) || retryBudgetMs < 0) {
    throw new InvalidOptionError('retryBudgetMs', `must be a finite number of ms ≥ 0, got ${retryBudgetMs}.`);
  }
  const maxPendingWrites = checkWhole('maxPendingWrites', options.maxPendingWrites ?? 1024);
  const maxBatchRows = checkWhole('maxBatchRows', options.maxBatchRows ?? 10_000);
  const columns: PostgresSinkColumns = options.columns ?? defaultColumns;
  const column = (key: keyof PostgresSinkColumns) => {
    const name = columns[key];
    return name === undefined ? undefined : quoteIdentifier(name, `columns.${key}`);
  };
  const names: QuotedNames = {
    schema: quoteIdentifier(schema, 'schema'),
    table: quoteIdentifier(table, options.table === undefined ? 'stream' : 'table'),
    pagesTable: quoteIdentifier(pagesTable, options.pagesTable === undefined ? 'table' : 'pagesTable'),
    runsTable: quoteIdentifier(runsTable, options.runsTable === undefined ? 'table' : 'runsTable'),
    runsIndex: quoteIdentifier(`${prefixOf(runsTable, 56)}_by_job`, 'runsTable'),
    columns: {
      record: quoteIdentifier(columns.record, 'columns.record'),
      recordKey: quoteIdentifier(columns.recordKey, 'columns.recordKey'),
      connector: column('connector'),
      taskKey: column('taskKey'),
      page: column('page'),
      fetchedAt: column('fetchedAt'),
    },
  };
  const quoted = Object.values(names.columns).filter((name) => name !== undefined);
  if (new Set(quoted).size !== quoted.length)
    throw new InvalidOptionError('columns', 'name each column once.');
  if (names.pagesTable === names.table)
    throw new InvalidOptionError('pagesTable', 'must differ from `table`.');
  return {
    connection: options.connection,
    schema,
    table,
    names,
    connector: options.connector,
    job: options.job ?? 'default',
    disposition,
    recordKey: options.recordKey,
    createTable: options.createTable ?? true,
    connectTimeoutMs,
    retry: resolveRetryPolicy({ minTimeoutMs: 250, maxTimeoutMs: 2_000, ...(options.retry || {}) }),
    maxRetries: options.retry === false ? 0 : (options.retry?.retries ?? Number.POSITIVE_INFINITY),
    retryBudgetMs,
    maxPendingWrites,
    maxBatchRows,
  };
}

function checkWhole(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(option, `must be a whole number ≥ 1, got ${value}.`);
  }
  return value;
}
