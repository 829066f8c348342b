import { describe, expect, it } from 'vitest';
import { resolvePostgresSinkOptions } from './postgres-sink-options.js';
import { createRecordsTableSql, mergeRecordsSql, upsertRecordsSql } from './records-table-sql.js';

describe('the records table SQL', () => {
  it('creates the default table: record jsonb, record_key text primary key and the provenance', () => {
    const { names } = resolvePostgresSinkOptions({ stream: 'wtd.stock_search', recordKey: String });

    expect(createRecordsTableSql(names)).toBe(
      'CREATE TABLE IF NOT EXISTS "public"."wtd_stock_search" (\n  "record" jsonb NOT NULL,\n  "record_key" text PRIMARY KEY,\n' +
        '  "connector" text,\n  "task_key" text,\n  "page" int,\n  "fetched_at" timestamptz\n)',
    );
  });

  it('upserts the staged records, the last of a key to arrive winning, with the provenance of their page row', () => {
    const { names } = resolvePostgresSinkOptions({ table: 't', recordKey: String });

    expect(upsertRecordsSql(names)).toBe(
      [
        "WITH p AS MATERIALIZED (SELECT page_ord, value->>'connector' AS v0, value->>'task_key' AS v1, " +
          "(value->>'page')::int AS v2, (value->>'fetched_at')::timestamptz AS v3",
        '  FROM pg_temp.capital_sink_staging WHERE record_key IS NULL)',
        'INSERT INTO "public"."t" ("record", "record_key", "connector", "task_key", "page", "fetched_at")',
        'SELECT DISTINCT ON (r.record_key) r.value, r.record_key, p.v0, p.v1, p.v2, p.v3',
        'FROM pg_temp.capital_sink_staging r',
        'JOIN p ON p.page_ord = r.page_ord',
        'WHERE r.record_key IS NOT NULL',
        'ORDER BY r.record_key, r.page_ord DESC, r.ord DESC',
        'ON CONFLICT ("record_key") DO UPDATE SET "record" = EXCLUDED."record", "connector" = EXCLUDED."connector", ' +
          '"task_key" = EXCLUDED."task_key", "page" = EXCLUDED."page", "fetched_at" = EXCLUDED."fetched_at"',
      ].join('\n'),
    );
  });

  it('merges by a plain INSERT first, and the upsert when a key is stored already', () => {
    const { names } = resolvePostgresSinkOptions({ table: 't', recordKey: String });
    const upsert = upsertRecordsSql(names);
    const insert = upsert.slice(0, upsert.indexOf('\nON CONFLICT'));

    expect(mergeRecordsSql(names)).toBe(
      `DO $capital$ BEGIN\n${insert};\nEXCEPTION WHEN unique_violation THEN\n${upsert};\nEND $capital$`,
    );
  });

  it('quotes the merge block with a tag that no table name can close', () => {
    const { names } = resolvePostgresSinkOptions({ table: 'a$capital$b$capital1$', recordKey: String });

    const merge = mergeRecordsSql(names);

    expect(merge.startsWith('DO $capital2$ BEGIN\n')).toBe(true);
    expect(merge.endsWith('\nEND $capital2$')).toBe(true);
  });

  it('writes only the columns a mapping names, joining the page rows only for provenance', () => {
    const { names } = resolvePostgresSinkOptions({
      schema: 'Raw',
      table: 'listings',
      columns: { record: 'doc', recordKey: 'symbol', fetchedAt: 'seen' },
      recordKey: String,
    });
    const upsert = upsertRecordsSql(names);

    expect(upsert).toContain('INSERT INTO "Raw"."listings" ("doc", "symbol", "seen")');
    expect(upsert).toContain(
      "WITH p AS MATERIALIZED (SELECT page_ord, (value->>'fetched_at')::timestamptz AS v0",
    );
    expect(upsert).toContain('SELECT DISTINCT ON (r.record_key) r.value, r.record_key, p.v0\n');
    expect(upsert).toContain(
      'ON CONFLICT ("symbol") DO UPDATE SET "doc" = EXCLUDED."doc", "seen" = EXCLUDED."seen"',
    );
    expect(createRecordsTableSql(names)).toBe(
      'CREATE TABLE IF NOT EXISTS "Raw"."listings" (\n  "doc" jsonb NOT NULL,\n  "symbol" text PRIMARY KEY,\n  "seen" timestamptz\n)',
    );
    const bare = resolvePostgresSinkOptions({
      table: 't',
      columns: { record: 'r', recordKey: 'k' },
      recordKey: String,
    });
    expect(upsertRecordsSql(bare.names)).not.toMatch(/WITH|JOIN/);
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
      retry: { minTimeoutMs: 250, maxTimeoutMs: 2_000 },
      maxRetries: Number.POSITIVE_INFINITY,
      retryBudgetMs: 30_000,
      maxPendingWrites: 1024,
      maxBatchRows: 10_000,
      names: { pagesTable: '"wtd_stock_search__pages"' },
    });
  });

  it('caps retries only when asked, and turns them off with retry: false', () => {
    const capped = resolvePostgresSinkOptions({ table: 't', recordKey: String, retry: { retries: 3 } });
    expect(capped).toMatchObject({ maxRetries: 3, retry: { minTimeoutMs: 250 } });
    expect(resolvePostgresSinkOptions({ table: 't', recordKey: String, retry: false }).maxRetries).toBe(0);
  });

  it.each([
    ['neither table nor stream', {}, 'table'],
    ['a stream with nothing to name a table after', { stream: '...' }, 'table'],
    ['a connect timeout of 0', { table: 't', connectTimeoutMs: 0 }, 'connectTimeoutMs'],
    ['two mapped columns with one name', { table: 't', columns: { record: 'a', recordKey: 'a' } }, 'columns'],
    ['a pages table named as the table', { table: 't', pagesTable: 't' }, 'pagesTable'],
    ['no pending writes', { table: 't', maxPendingWrites: 0 }, 'maxPendingWrites'],
    ['a fractional batch size', { table: 't', maxBatchRows: 1.5 }, 'maxBatchRows'],
    ['a negative retry budget', { table: 't', retryBudgetMs: -1 }, 'retryBudgetMs'],
    ['an endless retry budget', { table: 't', retryBudgetMs: Number.POSITIVE_INFINITY }, 'retryBudgetMs'],
  ])('refuses %s', (_, options, option) => {
    expect(() => resolvePostgresSinkOptions({ recordKey: String, ...options })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option }),
    );
  });
});
