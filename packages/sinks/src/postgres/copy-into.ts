import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import type { CopyRows } from './copy-rows.js';
import { sqlFile } from './sql-files.js';

/**
 * Streams a page's rows into the session's staging table with `COPY … FROM STDIN`, inside the
 * caller's transaction; resolves once the server has taken them all.
 *
 * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE` naming the record when the server refuses
 * one (a lone UTF-16 surrogate, which `jsonb` rejects); what pg throws otherwise.
 */
export async function copyInto(client: PoolClient, page: SinkPage, rows: CopyRows): Promise<void> {
  try {
    await pipeline(
      Readable.from([Buffer.from(rows.text, 'utf8')]),
      client.query(copyFrom(sqlFile('copy-staging'))),
    );
  } catch (error) {
    throw unstorableRecord(page, error) ?? error;
  }
}

/**
 * A data error (SQLSTATE class 22) while copying, as the record it is about: COPY's error
 * context says "COPY capital_sink_staging, line N", and line N holds record N − 1.
 */
function unstorableRecord(page: SinkPage, error: unknown): SinkWriteError | undefined {
  const { code, where, message } = error as { code?: unknown; where?: unknown; message?: unknown };
  if (typeof code !== 'string' || !code.startsWith('22')) return undefined;
  const line = typeof where === 'string' ? /COPY [^,]+, line (\d+)/.exec(where)?.[1] : undefined;
  const record = line === undefined ? 'a record' : `record ${Number(line) - 1}`;
  return new SinkWriteError(
    page,
    `${record} cannot be stored as jsonb: ${String(message)} (SQLSTATE ${code}).`,
    {
      code: 'RECORD_NOT_SERIALISABLE',
      cause: error,
    },
  );
}
