import { describe, expect, it } from 'vitest';
import { resolvePostgresSinkOptions } from './postgres-sink-options.js';
import { createRecordsTableSql, upsertRecordsSql } from './records-table-sql.js';

const page = { connector: 'wtd', taskKey: 'abc', page: 2, fetchedAt: '2024-03-01T12:00:00.000Z' };

describe('the records table SQL', () => {
  it('creates the default table: record jsonb, record_key text primary key and the provenance', () => {
    const { names } = resolvePostgresSinkOptions({ stream: 'wtd.stock_search', recordKey: String });

    expect(createRecordsTableSql(names)).toBe(
      'CREATE TABLE IF NOT EXISTS "public"."wtd_stock_search" (\n  "record" jsonb NOT NULL,\n  "record_key" text PRIMARY KEY,\n' +
        '  "connector" text,\n  "task_key" text,\n  "page" int,\n  "fetched_at" timestamptz\n)',
    );
  });

  it('upserts the staged rows, the last record of a key winning, with the provenance as parameters', () => {
    const { names } = resolvePostgresSinkOptions({ table: 't', recordKey: String });
    const upsert = upsertRecordsSql(names);

    expect(upsert.text).toBe(
      [
        'INSERT INTO "public"."t" ("record", "record_key", "connector", "task_key", "page", "fetched_at")',
        'SELECT DISTINCT ON (record_key) record, record_key, $1::text, $2::text, $3::int, $4::timestamptz',
        'FROM pg_temp.capital_sink_staging',
        'ORDER BY record_key, ord DESC',
        'ON CONFLICT ("record_key") DO UPDATE SET "record" = EXCLUDED."record", "connector" = EXCLUDED."connector", ' +
          '"task_key" = EXCLUDED."task_key", "page" = EXCLUDED."page", "fetched_at" = EXCLUDED."fetched_at"',
      ].join('\n'),
    );
    expect(upsert.values(page)).toEqual(['wtd', 'abc', 2, '2024-03-01T12:00:00.000Z']);
  });

  it('writes only the columns a mapping names, numbering the parameters it uses', () => {
    const { names } = resolvePostgresSinkOptions({
      schema: 'Raw',
      table: 'listings',
      columns: { record: 'doc', recordKey: 'symbol', fetchedAt: 'seen' },
      recordKey: String,
    });
    const upsert = upsertRecordsSql(names);

    expect(upsert.text).toContain('INSERT INTO "Raw"."listings" ("doc", "symbol", "seen")');
    expect(upsert.text).toContain('SELECT DISTINCT ON (record_key) record, record_key, $1::timestamptz');
    expect(upsert.text).toContain(
      'ON CONFLICT ("symbol") DO UPDATE SET "doc" = EXCLUDED."doc", "seen" = EXCLUDED."seen"',
    );
    expect(upsert.values(page)).toEqual(['2024-03-01T12:00:00.000Z']);
    expect(createRecordsTableSql(names)).toBe(
      'CREATE TABLE IF NOT EXISTS "Raw"."listings" (\n  "doc" jsonb NOT NULL,\n  "symbol" text PRIMARY KEY,\n  "seen" timestamptz\n)',
    );
  });
});

describe('resolvePostgresSinkOptions', () => {
  it('fills in the defaults', () => {
    const config = resolvePostgresSinkOptions({ stream: 'wtd.stock_search', recordKey: String });

    expect(config).toMatchObject({
      schema: 'public',
      table: 'wtd_stock_search',
      createTable: true,
      connectTimeoutMs: 10_000,
      retry: { retries: 2, minTimeoutMs: 250, maxTimeoutMs: 2_000 },
      names: { pagesTable: '"wtd_stock_search__pages"' },
    });
  });

  it.each([
    ['neither table nor stream', {}, 'table'],
    ['a stream with nothing to name a table after', { stream: '...' }, 'table'],
    ['a connect timeout of 0', { table: 't', connectTimeoutMs: 0 }, 'connectTimeoutMs'],
    ['two mapped columns with one name', { table: 't', columns: { record: 'a', recordKey: 'a' } }, 'columns'],
    ['a pages table named as the table', { table: 't', pagesTable: 't' }, 'pagesTable'],
  ])('refuses %s', (_, options, option) => {
    expect(() => resolvePostgresSinkOptions({ recordKey: String, ...options })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option }),
    );
  });
});
