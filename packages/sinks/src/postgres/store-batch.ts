import type { WriteDisposition } from '@capital/core';
import type { PoolClient } from 'pg';
import type { SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import type { CopyLineShape, PageValues } from './copy-rows.js';
import { type CopyPiece, PipelinedCopy } from './pipelined-copy.js';
import { sqlFile } from './sql-files.js';

/**
 * A page serialised for a batch's COPY: encoded when it arrives, before its batch is sent, so
 * that a batch only joins its pages' bytes (and the encoding of the next batch's pages runs
 * while the server stores this one's).
 */
export type StagedPage<D = unknown> = {
  readonly page: SinkPage<D>;
  /** How many records it has (its lines are in `data`; they are not kept twice). */
  readonly records: number;
  /** Its provenance, which `append` and `replace` copy into every row. */
  readonly values: PageValues;
  /** The page's lines of its disposition's COPY (`stagingLine` and `copyLines`, or `copyLines` with `appendTail`). */
  readonly data: Buffer;
  /** `append` and `replace`: its row of the pages table, as literals (`pagesRow`); merge: ''. */
  readonly pagesRow: string;
  /** How its run stores it: the sink's own disposition, or that of the run the page names. */
  readonly disposition: WriteDisposition;
};

/** A page whose lines a COPY holds, in the batch's order: which page a line number is about. */
export type CopiedPage = { readonly page: SinkPage; readonly records: number };

/**
 * The shape of a page's record lines in the staging COPY (`page_ord, ord, record_key, value`;
 * see `copyLines`): each led by `sequence`, the page's place among every page the sink took, and
 * its index in the page: together they say which of two records with one key came last.
 */
export function stagingShape(sequence: number): CopyLineShape {
  return { head: `${sequence}\t`, numbered: true };
}

/**
 * A page's own line of the staging COPY (see `pageLine`), with its newline: its record lines
 * (shaped by {@link stagingShape} with the same `sequence`) follow it.
 */
export function stagingLine(sequence: number, line: string): string {
  return `${sequence}\t${line}\n`;
}

/**
 * A batch's transaction up to its COMMIT, as one simple query: `BEGIN`, the `COPY` into the
 * staging table, the records upsert, the pages upsert. The server runs the statements after the
 * COPY once the COPY's data has arrived, so all of it costs one round trip. That is the simple
 * query protocol, which takes no parameters: every value travels in the COPY.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
 *
 * The `COMMIT` stays a query of its own: a server runs a query it has received to its end even
 * if the client has gone, so a `COMMIT` sent along would commit a batch whose connection
 * `abort()` had closed; kept apart, it is never sent, and the server rolls the batch back.
 *
 * @param upsertRecords - The records step of the sink's table (`mergeRecordsSql`).
 * @param pagesTable - The schema-qualified pages table, quoted.
 * @param begin - `false` leaves out the `BEGIN`, for a transaction the caller opened.
 */
export function batchStatement(upsertRecords: string, pagesTable: string, begin = true): string {
  return [
    ...(begin ? ['BEGIN'] : []),
    withoutComments(sqlFile('copy-staging')),
    upsertRecords,
    withoutComments(sqlFile('upsert-pages', { pages: pagesTable })),
  ].join(';\n');
}

/** Sent once per batch, and shown in `pg_stat_activity` (cut at 1 kB): without the header. */
function withoutComments(sql: string): string {
  return sql
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n');
}

/**
 * Runs a batch's transaction (see {@link batchStatement}, then `COMMIT`) on a connection whose
 * session has the staging table, sending each page's lines (`stagingLine`, then `copyLines`). Two round trips;
 * resolves once the server has committed.
 *
 * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE` naming the page and the record when the
 * server refuses a record (a data error while copying); what pg throws otherwise. The
 * transaction is left aborted: the caller must not reuse the connection.
 */
export async function storeBatch(
  client: PoolClient,
  statement: string,
  batch: readonly StagedPage[],
  beforeCommit?: BeforeCommit,
): Promise<void> {
  await copyAndCommit(
    client,
    statement,
    batch.map((staged) => staged.data),
    batch,
    true,
    beforeCommit,
  );
}

/** More statements for a batch's transaction, run after its pages are stored and before `COMMIT`. */
export type BeforeCommit = (client: PoolClient) => Promise<unknown>;

/**
 * Sends `statement` (which opens a transaction and holds one `COPY … FROM STDIN`) with `data`
 * (the pages' encoded lines, in order, ready or still being encoded: see `PipelinedCopy`) as the
 * COPY's data, then `beforeCommit`'s statements, then `COMMIT`. `withPageLines`: whether each
 * page's records follow a line of the page's own, as in the staging COPY (to name the record a
 * data error is about).
 *
 * @throws {SinkWriteError} as {@link storeBatch} says.
 */
export async function copyAndCommit(
  client: PoolClient,
  statement: string,
  data: readonly CopyPiece[],
  batch: readonly CopiedPage[],
  withPageLines = true,
  beforeCommit?: BeforeCommit,
): Promise<void> {
  try {
    // The statement and its data leave together (see PipelinedCopy): one round trip, not two.
    const copy = new PipelinedCopy(statement, data);
    client.query(copy);
    await copy.done;
  } catch (error) {
    throw unstorable(batch, error, withPageLines ? 1 : 0) ?? error;
  }
  await beforeCommit?.(client);
  await client.query('COMMIT');
}

/**
 * A data error (SQLSTATE class 22) while copying, as the page and record it is about: COPY's
 * error context says "COPY capital_sink_staging, line N", and the lines go page by page, each
 * page's line first.
 */
function unstorable(
  batch: readonly CopiedPage[],
  error: unknown,
  pageLines: 0 | 1,
): SinkWriteError | undefined {
  const { code, where, message } = error as { code?: unknown; where?: unknown; message?: unknown };
  if (typeof code !== 'string' || !code.startsWith('22')) return undefined;
  const line = Number(typeof where === 'string' ? /COPY [^,]+, line (\d+)/.exec(where)?.[1] : Number.NaN);
  let first = 1;
  for (const { page, records } of batch) {
    if (line >= first && line < first + records + pageLines) {
      const record = line - first - pageLines;
      const what = record < 0 ? 'its task key or next tasks' : `record ${record}`;
      return new SinkWriteError(
        page,
        `${what} cannot be stored as jsonb: ${String(message)} (SQLSTATE ${code}).`,
        { code: record < 0 ? 'PAGE_NOT_SERIALISABLE' : 'RECORD_NOT_SERIALISABLE', cause: error },
      );
    }
    first += records + pageLines;
  }
  return undefined;
}
