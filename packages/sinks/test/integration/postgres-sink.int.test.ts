import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { runConnector } from '@capital/cli';
import {
  type Connector,
  crawl,
  createCredentialResolver,
  type Handler,
  type Task,
  taskKey,
} from '@capital/core';
import { connector, type Listing } from '@capital/wtd-connector';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import fc from 'fast-check';
import { escapeIdentifier, Pool } from 'pg';
import { lastValueFrom, map, of, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parsePostgresSinkUrl } from '../../src/postgres/parse-postgres-sink-url.js';
import { PostgresSink } from '../../src/postgres/postgres-sink.js';
import { PostgresSinkError } from '../../src/postgres/postgres-sink-error.js';
import type { PostgresSinkOptions } from '../../src/postgres/postgres-sink-options.js';
import type { Sink, SinkPage } from '../../src/sink.js';
import { SinkWriteError } from '../../src/sink-error.js';
import { writeTo } from '../../src/write-to.js';
import { adminPool, dropSchema, schemaName, server, serverUrl } from './fixtures/postgres.js';

const expectedSymbols = searchListings(generateListings(), 'new york')
  .map((listing) => listing.symbol)
  .sort();
const wtd = connector as unknown as Connector;
const resolveCredential = createCredentialResolver({}, { WTD_API_TOKEN: 'demo' });

let admin: Pool;
let emulator: RunningEmulator;
let schema: string;
const q = escapeIdentifier;

beforeAll(async () => {
  admin = adminPool();
  emulator = await startEmulator({ rateLimit: false });
});
afterAll(async () => {
  await emulator.close();
  await admin.end();
});
// Each test in a schema of its own, dropped afterwards.
beforeEach(() => {
  schema = schemaName();
  emulator.resetStats();
});
/** What a test holds that must be let go before its schema can be dropped. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup().catch(() => {})));
  await dropSchema(admin, schema);
});

/** A sink for the WTD job, opened from a `postgres://` URL as the CLI does. */
function wtdSink(extra: Partial<PostgresSinkOptions<Listing>> = {}): PostgresSink<Listing> {
  return new PostgresSink<Listing>({
    ...parsePostgresSinkUrl(`${serverUrl}?schema=${schema}`),
    stream: 'wtd.stock_search',
    recordKey: (listing) => listing.symbol,
    ...extra,
  });
}

function runWtd(sink: Sink, options: { signal?: AbortSignal; concurrency?: number; buffer?: number } = {}) {
  return runConnector({
    connector: wtd,
    params: { search: 'new york' },
    sink,
    baseUrl: emulator.url,
    resolveCredential,
    ...options,
  });
}

async function storedSymbols(table = 'wtd_stock_search'): Promise<string[]> {
  const result = await admin.query<{ symbol: string }>(
    `SELECT record->>'symbol' AS symbol FROM ${q(schema)}.${q(table)} ORDER BY 1`,
  );
  return result.rows.map((row) => row.symbol).sort();
}

/** How many transactions wrote the rows of `table` (each row's xmin is the one that wrote it). */
async function transactionsOf(table: string, taskKeys?: readonly string[]): Promise<number> {
  const result = await admin.query<{ n: string }>(
    `SELECT count(DISTINCT xmin::text) AS n FROM ${q(schema)}.${q(table)}
     WHERE $1::text[] IS NULL OR task_key = ANY ($1::text[])`,
    [taskKeys ?? null],
  );
  return Number(result.rows[0]?.n);
}

async function storedPageNumbers(): Promise<number[]> {
  const result = await admin.query<{ page: number }>(
    `SELECT DISTINCT r.page FROM ${q(schema)}.wtd_stock_search r
     JOIN ${q(schema)}.wtd_stock_search__pages p USING (task_key) ORDER BY 1`,
  );
  return result.rows.map((row) => row.page);
}

function servedPages(): number[] {
  return emulator
    .stats()
    .pages.filter((page) => page.searchTerm === 'new york')
    .flatMap((page) => Array.from({ length: page.served }, () => page.page))
    .sort((a, b) => a - b);
}

type Hooks = {
  readonly before?: (acknowledged: number) => void;
  readonly after?: (acknowledged: number) => void;
  /** @default the sink's */
  readonly maxPendingWrites?: number;
};

/** Wraps a sink to count its acknowledged writes, and to act before or after each. */
function counted(sink: Sink, hooks: Hooks = {}) {
  const counts = { acknowledged: 0 };
  const wrapper: Sink = {
    write: async (page) => {
      hooks.before?.(counts.acknowledged);
      const receipt = await sink.write(page);
      counts.acknowledged += 1;
      hooks.after?.(counts.acknowledged);
      return receipt;
    },
    close: () => sink.close(),
    abort: (reason) => sink.abort(reason),
    maxPendingWrites: hooks.maxPendingWrites ?? sink.maxPendingWrites ?? 1,
    ...(sink.checkpoint ? { checkpoint: sink.checkpoint } : {}),
  };
  return { wrapper, counts };
}

const fetchedAt = Date.parse('2024-03-01T12:00:00.000Z');
function page<D>(number: number, data: readonly D[], nextTasks: readonly Task[] = []): SinkPage<D> {
  const task: Task = { type: 'test.list', page: number };
  return { key: taskKey(task), task, data, nextTasks, fetchedAt };
}

describe('PostgresSink running the World Trading Data job', () => {
  it('stores every "new york" listing exactly once, and every page in the pages table', async () => {
    const summary = await runWtd(wtdSink());

    expect(await storedSymbols()).toEqual(expectedSymbols);
    expect(expectedSymbols).toHaveLength(431);
    const pages = await admin.query(`SELECT task_key, records FROM ${q(schema)}.wtd_stock_search__pages`);
    expect(pages.rows).toHaveLength(9);
    expect(pages.rows.reduce((sum, row) => sum + row.records, 0)).toBe(431);
    expect(summary).toMatchObject({ pages: 9, records: 431, pagesFetched: 9, pagesSkipped: 0 });
    expect(summary.location).toBe(
      `postgres://${server.host}:${server.port}/${server.database} ${schema}.wtd_stock_search`,
    );
    const row = await admin.query(
      `SELECT record, connector, task_key, page, fetched_at FROM ${q(schema)}.wtd_stock_search WHERE record_key = $1`,
      [expectedSymbols[0]],
    );
    const listing = searchListings(generateListings(), 'new york').find(
      (l) => l.symbol === expectedSymbols[0],
    );
    expect(row.rows[0]).toMatchObject({ record: listing, connector: 'wtd' });
    expect(row.rows[0].page).toBeGreaterThanOrEqual(1);
    expect(row.rows[0].fetched_at).toBeInstanceOf(Date);
  });

  it('a second run after a finished one is a new run that refreshes every page, one row per record', async () => {
    await runWtd(wtdSink());
    emulator.resetStats();

    const second = await runWtd(wtdSink());

    expect(await storedSymbols()).toEqual(expectedSymbols);
    expect(second).toMatchObject({ pagesSkipped: 0, pagesFetched: 9, pages: 9, records: 431 });
    expect(emulator.stats().requests).toBe(9);
    const runs = await admin.query(`SELECT state, pages FROM ${q(schema)}.wtd_stock_search__runs`);
    expect(runs.rows).toEqual([
      { state: 'finished', pages: 9 },
      { state: 'finished', pages: 9 },
    ]);
  });

  it.each([
    ['the run is aborted through its signal', 'signal'],
    ['the sink fails its fourth write', 'throw'],
  ] as const)(
    'a run stopped after three pages (%s) resumes: exactly once, stored pages not fetched again',
    async (_, how) => {
      const controller = new AbortController();
      const stop = () => new Error('killed midway');
      // Stopped after the third page is committed: by the signal, or by the fourth write failing.
      // One write at a time, so that exactly the three acknowledged pages are stored.
      const { wrapper } = counted(
        wtdSink(),
        how === 'signal'
          ? { after: (acknowledged) => acknowledged === 3 && controller.abort(stop()), maxPendingWrites: 1 }
          : {
              before: (acknowledged) => {
                if (acknowledged === 3) throw stop();
              },
              maxPendingWrites: 1,
            },
      );

      await expect(runWtd(wrapper, { signal: controller.signal, concurrency: 2 })).rejects.toThrow(
        'killed midway',
      );

      const stored = await storedPageNumbers();
      expect(stored).toHaveLength(3);
      expect(stored).toContain(1);
      emulator.resetStats();

      const resumed = await runWtd(wtdSink(), { concurrency: 2 });

      expect(await storedSymbols()).toEqual(expectedSymbols);
      expect(resumed).toMatchObject({ pagesSkipped: stored.length, pagesFetched: 9 - stored.length });
      const missing = [1, 2, 3, 4, 5, 6, 7, 8, 9].filter((number) => !stored.includes(number));
      expect(servedPages()).toEqual(missing);
    },
  );

  it('a slow sink slows the crawl: never more than concurrency + buffer pages fetched and not acknowledged', async () => {
    const sink = wtdSink();
    // Make the tables, then make every transaction slow inside PostgreSQL itself: its one
    // statement into the pages table, whatever the pages it stores.
    await sink.checkpoint.completed(['none']);
    await admin.query(`
      CREATE FUNCTION ${q(schema)}.slow() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN PERFORM pg_sleep(0.2); RETURN NULL; END $$;
      CREATE TRIGGER slow AFTER INSERT ON ${q(schema)}.wtd_stock_search__pages
        FOR EACH STATEMENT EXECUTE FUNCTION ${q(schema)}.slow();`);
    const { wrapper, counts } = counted(sink);
    let started = 0;
    let most = 0;
    const startedAt = performance.now();

    await runConnector({
      connector: wtd,
      params: { search: 'new york' },
      sink: wrapper,
      baseUrl: emulator.url,
      resolveCredential,
      concurrency: 2,
      buffer: 2,
      onEvent: (event) => {
        if (event.type !== 'task-started') return;
        started += 1;
        most = Math.max(most, started - counts.acknowledged);
      },
    });

    expect(wrapper.maxPendingWrites).toBe(1024);
    expect(started).toBe(9);
    expect(most).toBeLessThanOrEqual(2 + 2);
    expect(most).toBeGreaterThan(2);
    const transactions = await transactionsOf('wtd_stock_search__pages');
    expect(transactions).toBeGreaterThanOrEqual(1);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(transactions * 200);
    expect(await storedSymbols()).toEqual(expectedSymbols);
  });
});

/** A loopback port nothing listens on (taken from the OS, then closed). */
async function closedPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

/** A server that accepts connections and never says a word: a database that hangs. */
async function tarpit(): Promise<{ port: number; server: Server; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const tar = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
  await once(tar, 'listening');
  return {
    port: (tar.address() as { port: number }).port,
    server: tar,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      tar.close();
      await once(tar, 'close');
    },
  };
}

describe('PostgresSink and an unreachable database', () => {
  it('fails the run with POSTGRES_UNREACHABLE within a bounded time, acknowledging nothing', async () => {
    const port = await closedPort();
    const sink = new PostgresSink<Listing>({
      connection: `postgres://capital:s3cret-pw@127.0.0.1:${port}/test`,
      stream: 'wtd.stock_search',
      recordKey: (listing) => listing.symbol,
      connectTimeoutMs: 1000,
      retryBudgetMs: 1000,
    });
    const { wrapper, counts } = counted(sink);
    const startedAt = performance.now();

    const error = await runWtd(wrapper).catch((thrown: unknown) => thrown);

    expect(performance.now() - startedAt).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(PostgresSinkError);
    expect(error).toMatchObject({
      code: 'POSTGRES_UNREACHABLE',
      location: `postgres://127.0.0.1:${port}/test public.wtd_stock_search`,
    });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(error)).not.toContain('s3cret-pw');
    expect(String(error)).not.toContain('s3cret-pw');
    expect(counts.acknowledged).toBe(0);
    expect(emulator.stats().requests).toBe(0);
  });

  it('gives up on a server that accepts and never answers after connectTimeoutMs, naming the page', async () => {
    const hung = await tarpit();
    try {
      const sink = new PostgresSink<{ id: string }>({
        connection: `postgres://capital@127.0.0.1:${hung.port}/test`,
        table: 'records',
        recordKey: (record) => record.id,
        connectTimeoutMs: 500,
        retry: false,
      });
      const startedAt = performance.now();

      const error = await sink.write(page(4, [{ id: 'a' }])).catch((thrown: unknown) => thrown);

      expect(performance.now() - startedAt).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(SinkWriteError);
      expect(error).toMatchObject({ code: 'POSTGRES_UNREACHABLE', page: 4 });
      expect((error as Error).message).toMatch(/page 4\) could not be stored/);
      expect((error as Error).cause).toBeInstanceOf(PostgresSinkError);
      await sink.abort();
    } finally {
      await hung.close();
    }
  });
});

describe('PostgresSink and names that carry SQL', () => {
  const evil = (victim: string) => `x"; DROP TABLE ${victim}; --`;

  it('keeps a table, schema or column name carrying SQL one harmless identifier: the victim table survives', async () => {
    await admin.query(`CREATE SCHEMA ${q(schema)}; CREATE TABLE ${q(schema)}.victim (id int)`);
    const victim = `${q(schema)}.victim`;
    const weirdSchema = `s${randomBytes(3).toString('hex')}"; DROP SCHEMA ${q(schema)} CASCADE; --`;
    const sink = new PostgresSink<{ id: string }>({
      connection: serverUrl,
      schema: weirdSchema,
      table: evil(victim),
      columns: { record: evil(victim), recordKey: `k'); DROP TABLE ${victim}; --` },
      recordKey: (record) => record.id,
    });

    try {
      await sink.write(page(1, [{ id: 'a' }, { id: 'b' }]));
      expect(await sink.checkpoint.completed([page(1, []).key])).toEqual(new Map([[page(1, []).key, []]]));
      await sink.close();

      expect((await admin.query('SELECT to_regclass($1) AS victim', [victim])).rows[0].victim).not.toBeNull();
      const stored = await admin.query(
        `SELECT ${q(`k'); DROP TABLE ${victim}; --`)} AS key, ${q(evil(victim))} AS record
         FROM ${q(weirdSchema)}.${q(evil(victim))} ORDER BY 1`,
      );
      expect(stored.rows).toEqual([
        { key: 'a', record: { id: 'a' } },
        { key: 'b', record: { id: 'b' } },
      ]);
    } finally {
      await dropSchema(admin, weirdSchema);
    }
  });

  it.each([
    ['a NUL character', 'listings\0; DROP TABLE victim'],
    ['more than 63 bytes, which PostgreSQL would silently cut', `l${'é'.repeat(40)}`],
    ['nothing', ''],
  ])('refuses a table name with %s, before connecting', (_, table) => {
    expect(() => new PostgresSink({ connection: serverUrl, table, recordKey: String })).toThrow(
      expect.objectContaining({ name: 'InvalidOptionError', code: 'INVALID_OPTION', option: 'table' }),
    );
  });
});

/** A sink of plain records, keyed by their `id`, into the table `records` of the test's schema. */
function recordsSink(
  extra: Partial<PostgresSinkOptions<Record<string, unknown>>> = {},
): PostgresSink<Record<string, unknown>> {
  return new PostgresSink<Record<string, unknown>>({
    connection: serverUrl,
    schema,
    table: 'records',
    recordKey: (record) => String(record.id),
    ...extra,
  });
}

describe('PostgresSink and records it cannot store', () => {
  const count = async (table: string) =>
    Number((await admin.query(`SELECT count(*) AS n FROM ${q(schema)}.${q(table)}`)).rows[0].n);
  const cycle: Record<string, unknown> = { id: 'c' };
  cycle.self = cycle;

  it.each([
    [
      'a BigInt',
      { id: 'b', big: 10n },
      /record 1 cannot be serialised as JSON: Do not know how to serialize a BigInt/,
    ],
    ['a cycle', cycle, /record 1 cannot be serialised as JSON: Converting circular structure/],
    ['a NUL character', { id: 'n', name: 'a\0b' }, /record 1 cannot be serialised.*NUL/],
    [
      'a lone surrogate, which jsonb refuses',
      { id: 's', name: 'a\ud800b' },
      /record 1 cannot be stored as jsonb/,
    ],
  ])(
    'fails the page with RECORD_NOT_SERIALISABLE for %s, committing nothing of it',
    async (_, bad, message) => {
      const target = recordsSink();
      await target.write(page(1, [{ id: 'ok' }]));

      const error = await target
        .write(page(2, [{ id: 'a' }, bad, { id: 'z' }]))
        .catch((thrown: unknown) => thrown);

      expect(error).toBeInstanceOf(SinkWriteError);
      expect(error).toMatchObject({ code: 'RECORD_NOT_SERIALISABLE', page: 2, taskKey: page(2, []).key });
      expect((error as Error).message).toMatch(/page 2\) could not be stored/);
      expect((error as Error).message).toMatch(message);
      expect(await count('records')).toBe(1);
      expect(await count('records__pages')).toBe(1);
      // The sink carries on with the next page.
      await target.write(page(3, [{ id: 'next' }]));
      expect(await count('records')).toBe(2);
      await target.close();
    },
  );
});

describe('PostgresSink storing pages', () => {
  const rows = async (table = 'records', key = 'record_key', record = 'record') =>
    (
      await admin.query(
        `SELECT ${q(key)} AS key, ${q(record)} AS record FROM ${q(schema)}.${q(table)} ORDER BY 1`,
      )
    ).rows;

  it('keeps the last of two records with one key in a page, and one row per record when a page is replayed', async () => {
    const target = recordsSink();
    const first = page(1, [
      { id: 'a', v: 1 },
      { id: 'b', v: 1 },
      { id: 'a', v: 2 },
    ]);

    expect(await target.write(first)).toEqual({ key: first.key, records: 3 });
    await target.write(first);
    await target.write(page(1, [{ id: 'a', v: 3 }]));

    expect(await rows()).toEqual([
      { key: 'a', record: { id: 'a', v: 3 } },
      { key: 'b', record: { id: 'b', v: 1 } },
    ]);
    expect(await target.close()).toMatchObject({ pages: 3, records: 7 });
  });

  it('stores keys and values with tabs, newlines, backslashes, quotes and COPY markers exactly', async () => {
    const nasty = [
      'tab\there',
      'new\nline\r\n',
      'back\\slash\\',
      '\\.',
      '\\N',
      'quote"\'',
      'é ☃ 𝄞',
      ',;|',
      '',
    ];
    const records = nasty.map((text, index) => ({
      id: `${text}#${index}`,
      text,
      nested: { list: [text, index] },
    }));
    const target = recordsSink();

    await target.write(page(1, records));
    await target.close();

    expect(await rows()).toEqual(
      records.map((record) => ({ key: record.id, record })).sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
  });

  it('stores any JSON record under any key as it was, the last of a key winning (property)', async () => {
    const unit = fc.constantFrom(
      '\\',
      '\t',
      '\n',
      '\r',
      '.',
      'N',
      '"',
      "'",
      'a',
      'é',
      '𝄞',
      '\u0001',
      '\u2028',
    );
    const entry = fc.record({
      key: fc.string({ unit, maxLength: 6 }),
      value: fc.jsonValue({ stringUnit: unit, maxDepth: 3 }),
    });
    const target = recordsSink({ recordKey: (record) => String(record.key) });
    let run = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 20 }), async (entries) => {
        run += 1;
        const records = entries.map(({ key, value }) => ({ key: `${run}:${key}`, value }));
        await target.write(page(run, records));

        const expected = new Map(records.map((record) => [record.key, JSON.parse(JSON.stringify(record))]));
        const stored = await admin.query(
          `SELECT record_key AS key, record FROM ${q(schema)}.records WHERE task_key = $1`,
          [page(run, []).key],
        );
        expect(new Map(stored.rows.map((row) => [row.key, row.record]))).toEqual(expected);
      }),
      { numRuns: 40 },
    );
    await target.close();
  });

  it('records each page with its next tasks, which the checkpoint returns', async () => {
    const next = [
      { type: 'test.list', page: 2 },
      { type: 'test.list', page: 3 },
    ];
    const target = recordsSink();
    await target.write(page(1, [{ id: 'a' }], next));
    await target.write(page(9, []));

    const completed = await target.checkpoint.completed([page(1, []).key, page(2, []).key, page(9, []).key]);

    expect(completed).toEqual(
      new Map([
        [page(1, []).key, next],
        [page(9, []).key, []],
      ]),
    );
    await target.close();
  });

  it('writes into a table of yours through a column mapping, creating only the pages table', async () => {
    await admin.query(
      `CREATE SCHEMA ${q(schema)};
       CREATE TABLE ${q(schema)}.listings (symbol text PRIMARY KEY, doc jsonb NOT NULL, seen timestamptz, extra int DEFAULT 7)`,
    );
    const target = recordsSink({
      table: 'listings',
      columns: { record: 'doc', recordKey: 'symbol', fetchedAt: 'seen' },
    });

    await target.write(page(1, [{ id: 'A' }]));
    await target.close();

    const stored = await admin.query(`SELECT symbol, doc, seen, extra FROM ${q(schema)}.listings`);
    expect(stored.rows).toEqual([{ symbol: 'A', doc: { id: 'A' }, seen: new Date(fetchedAt), extra: 7 }]);
    expect(await rows('listings__pages', 'task_key', 'records')).toEqual([
      { key: page(1, []).key, record: 1 },
    ]);
  });

  it('fails with POSTGRES_TABLE_MISSING when the tables are missing and createTable is false', async () => {
    const target = recordsSink({ createTable: false });

    const error = await target.write(page(1, [{ id: 'a' }])).catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({ code: 'POSTGRES_TABLE_MISSING' });
    expect((error as Error).message).toContain(`"${schema}"."records"`);
    await target.abort();
  });

  it('ends the pool it made on close, and leaves a pool of yours open', async () => {
    const pool = new Pool({ ...server, max: 2 });
    try {
      const target = recordsSink({ connection: pool });
      await target.write(page(1, [{ id: 'a' }]));
      await target.close();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
    const owned = recordsSink();
    await owned.write(page(2, [{ id: 'b' }]));
    await owned.close();
    await expect(owned.write(page(3, [{ id: 'c' }]))).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('retries a batch whose connection is cut mid-transaction, storing each of its pages once', async () => {
    const target = recordsSink();
    await target.write(page(1, [{ id: 'a' }]));
    const blocker = await admin.connect();
    try {
      await blocker.query(`BEGIN; LOCK TABLE ${q(schema)}.records__pages IN EXCLUSIVE MODE`);
      // Two pages at once: one batch, one transaction, which waits for the lock.
      const writing = Promise.all([
        target.write(page(2, [{ id: 'b' }])),
        target.write(page(3, [{ id: 'c' }])),
      ]);
      let pid: number | undefined;
      await waitFor(async () => {
        pid = (await lockWaiters())[0];
        return pid !== undefined;
      });

      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await blocker.query('COMMIT');

      await expect(writing).resolves.toEqual([
        { key: page(2, []).key, records: 1 },
        { key: page(3, []).key, records: 1 },
      ]);
      expect(await rows()).toEqual([
        { key: 'a', record: { id: 'a' } },
        { key: 'b', record: { id: 'b' } },
        { key: 'c', record: { id: 'c' } },
      ]);
      expect(await rows('records__pages', 'task_key', 'records')).toHaveLength(3);
      expect(await transactionsOf('records__pages', [page(2, []).key, page(3, []).key])).toBe(1);
      await target.close();
    } finally {
      blocker.release();
    }
  });

  it('abort cuts off the batch in flight and fails the writes waiting: their pages are rolled back, committed pages stay, connections are released', async () => {
    const pool = new Pool({ ...server, max: 3 });
    const blocker = await admin.connect();
    try {
      const target = recordsSink({ connection: pool });
      await target.write(page(1, [{ id: 'a' }]));
      // Hold the pages table so that the next batch waits inside its transaction.
      await blocker.query(`BEGIN; LOCK TABLE ${q(schema)}.records__pages IN EXCLUSIVE MODE`);
      const inFlight = target.write(page(2, [{ id: 'b' }])).catch((thrown: unknown) => thrown);
      await waitFor(async () => (await lockWaiters()).length > 0);
      // These wait for the next transaction.
      const waiting = [3, 4].map((number) =>
        target.write(page(number, [{ id: `w${number}` }])).catch((thrown: unknown) => thrown),
      );

      await target.abort(new Error('stop'));

      expect(await inFlight).toMatchObject({ name: 'SinkWriteError', code: 'SINK_ABORTED', page: 2 });
      expect(await Promise.all(waiting)).toEqual([
        expect.objectContaining({ name: 'SinkWriteError', code: 'SINK_ABORTED', page: 3 }),
        expect.objectContaining({ name: 'SinkWriteError', code: 'SINK_ABORTED', page: 4 }),
      ]);
      await blocker.query('COMMIT');
      expect(await rows()).toEqual([{ key: 'a', record: { id: 'a' } }]);
      expect(await rows('records__pages', 'task_key', 'records')).toEqual([
        { key: page(1, []).key, record: 1 },
      ]);
      expect(pool.totalCount).toBe(0);
    } finally {
      blocker.release();
      await pool.end();
    }
  });

  /** The sink's backends waiting for a lock in a batch's transaction. */
  async function lockWaiters(): Promise<number[]> {
    const waiting = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%capital_sink_staging%'`,
    );
    return waiting.rows.map((row) => row.pid);
  }
});

describe('PostgresSink group commit', () => {
  const pages = (numbers: readonly number[]) =>
    numbers.map((number) => page(number, [{ id: `r${number}-a` }, { id: `r${number}-b` }]));
  const count = async (table: string) =>
    Number((await admin.query(`SELECT count(*) AS n FROM ${q(schema)}.${q(table)}`)).rows[0].n);
  const rows = async (table: string, key: string, record: string) =>
    (
      await admin.query(
        `SELECT ${q(key)} AS key, ${q(record)} AS record FROM ${q(schema)}.${q(table)} ORDER BY 1`,
      )
    ).rows;

  /**
   * Makes every COMMIT that stores a page wait until the test lets it through: a deferred
   * trigger on the pages table, run at COMMIT, takes an advisory lock the test holds. Returns
   * a function that lets them through.
   */
  async function holdCommits(): Promise<{ waiting: () => Promise<boolean>; release: () => Promise<void> }> {
    const key = Math.floor(Math.random() * 2 ** 31);
    await admin.query(`
      CREATE FUNCTION ${q(schema)}.hold() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN PERFORM pg_advisory_xact_lock(${key}); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER hold AFTER INSERT OR UPDATE ON ${q(schema)}.records__pages
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${q(schema)}.hold();`);
    const holder = await admin.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [key]);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await holder.query('SELECT pg_advisory_unlock($1)', [key]).finally(() => holder.release());
    };
    cleanups.push(release);
    return {
      waiting: async () => {
        const found = await admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE wait_event = 'advisory' AND query = 'COMMIT'`,
        );
        return found.rows.length > 0;
      },
      release,
    };
  }

  /** Follows a promise: `settled()` says whether it has resolved or rejected yet. */
  function followed<T>(promise: Promise<T>) {
    let settled = false;
    const done = promise.finally(() => {
      settled = true;
    });
    return { done, settled: () => settled };
  }

  it('stores pages written at once in one transaction, resolving none before its COMMIT', async () => {
    const target = recordsSink();
    await target.write(page(0, []));
    const commits = await holdCommits();
    const burst = pages([1, 2, 3, 4, 5, 6, 7, 8]);

    const writes = burst.map((each) => followed(target.write(each)));
    await waitFor(commits.waiting);

    // The batch has run everything but its COMMIT, which waits for the test's lock.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(writes.map((write) => write.settled())).toEqual(burst.map(() => false));
    expect(await count('records')).toBe(0);
    await commits.release();

    expect(await Promise.all(writes.map((write) => write.done))).toEqual(
      burst.map((each) => ({ key: each.key, records: 2 })),
    );
    expect(await count('records')).toBe(16);
    expect(await count('records__pages')).toBe(9);
    expect(
      await transactionsOf(
        'records__pages',
        burst.map((each) => each.key),
      ),
    ).toBe(1);
    expect(
      await transactionsOf(
        'records',
        burst.map((each) => each.key),
      ),
    ).toBe(1);
    expect(await target.close()).toMatchObject({ pages: 9, records: 16 });
  });

  it('puts the pages that arrive while a transaction runs together into the next one', async () => {
    const target = recordsSink();
    await target.write(page(0, []));
    const commits = await holdCommits();
    const [first, ...later] = pages([1, 2, 3, 4, 5, 6]);

    const writes = [followed(target.write(first as SinkPage<Record<string, unknown>>))];
    await waitFor(commits.waiting);
    writes.push(...later.map((each) => followed(target.write(each))));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(writes.map((write) => write.settled())).toEqual([false, false, false, false, false, false]);
    await commits.release();
    await Promise.all(writes.map((write) => write.done));

    expect(await transactionsOf('records__pages', [(first as SinkPage).key])).toBe(1);
    expect(
      await transactionsOf(
        'records__pages',
        later.map((each) => each.key),
      ),
    ).toBe(1);
    expect(await transactionsOf('records__pages')).toBe(3);
    await target.close();
  });

  it('takes at most maxBatchRows records or maxPendingWrites pages into one transaction', async () => {
    const byRows = recordsSink({ maxBatchRows: 4 });
    const byPages = recordsSink({ maxPendingWrites: 3 });
    expect(byPages.maxPendingWrites).toBe(3);
    await byRows.write(page(0, []));

    await Promise.all(pages([1, 2, 3, 4, 5]).map((each) => byRows.write(each)));
    // Two records a page: pages 1–2, 3–4, 5.
    expect(
      await transactionsOf(
        'records__pages',
        pages([1, 2, 3, 4, 5]).map((each) => each.key),
      ),
    ).toBe(3);
    await Promise.all(pages([11, 12, 13, 14]).map((each) => byPages.write(each)));
    expect(
      await transactionsOf(
        'records__pages',
        pages([11, 12, 13, 14]).map((each) => each.key),
      ),
    ).toBe(2);
    await byRows.close();
    await byPages.close();
  });

  it('merges a batch of new keys around a stored one: the plain INSERT gives way to the upsert, every key once', async () => {
    const target = recordsSink();
    await target.write(page(1, [{ id: 'm', v: 1 }]));

    // In key order the INSERT stores `a` first, then meets the stored `m`, and is rolled back.
    await target.write(
      page(2, [
        { id: 'a', v: 1 },
        { id: 'm', v: 2 },
        { id: 'z', v: 1 },
      ]),
    );

    expect(await rows('records', 'record_key', 'record')).toEqual([
      { key: 'a', record: { id: 'a', v: 1 } },
      { key: 'm', record: { id: 'm', v: 2 } },
      { key: 'z', record: { id: 'z', v: 1 } },
    ]);
    expect(await count('records__pages')).toBe(2);
    expect(await target.close()).toMatchObject({ pages: 2, records: 4 });
  });

  it('lets the last record of a key to arrive win across the pages of a batch, and records a page twice once', async () => {
    const target = recordsSink();

    await Promise.all([
      target.write(page(1, [{ id: 'a', v: 1 }])),
      target.write(
        page(
          2,
          [
            { id: 'a', v: 2 },
            { id: 'b', v: 1 },
          ],
          [{ type: 'test.list', page: 3 }],
        ),
      ),
      target.write(
        page(1, [
          { id: 'a', v: 3 },
          { id: 'c', v: 1 },
        ]),
      ),
    ]);

    const stored = await admin.query(
      `SELECT record_key, record, task_key, page FROM ${q(schema)}.records ORDER BY 1`,
    );
    expect(stored.rows).toEqual([
      { record_key: 'a', record: { id: 'a', v: 3 }, task_key: page(1, []).key, page: 1 },
      { record_key: 'b', record: { id: 'b', v: 1 }, task_key: page(2, []).key, page: 2 },
      { record_key: 'c', record: { id: 'c', v: 1 }, task_key: page(1, []).key, page: 1 },
    ]);
    expect(await rows('records__pages', 'task_key', 'records')).toEqual(
      [
        { key: page(1, []).key, record: 2 },
        { key: page(2, []).key, record: 2 },
      ].sort((x, y) => (x.key < y.key ? -1 : 1)),
    );
    expect(await target.checkpoint.completed([page(2, []).key])).toEqual(
      new Map([[page(2, []).key, [{ type: 'test.list', page: 3 }]]]),
    );
    await target.close();
  });

  it('fails only the page the server refuses, and one it cannot serialise before it joins a batch', async () => {
    await admin.query(
      `CREATE SCHEMA ${q(schema)};
       CREATE TABLE ${q(schema)}.records (record jsonb NOT NULL CHECK (record->>'id' <> 'bad'), record_key text PRIMARY KEY)`,
    );
    const target = recordsSink({ columns: { record: 'record', recordKey: 'record_key' } });
    const burst = pages([1, 2, 3, 4, 5, 6, 7, 8]);
    burst[4] = page(5, [{ id: 'ok' }, { id: 'bad' }]);
    burst[6] = page(7, [{ id: 'big', n: 1n }]);

    const outcomes = await Promise.allSettled(burst.map((each) => target.write(each)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const reason = (index: number) => (outcomes[index] as PromiseRejectedResult).reason;
    expect(reason(4)).toBeInstanceOf(SinkWriteError);
    expect(reason(4)).toMatchObject({ code: 'POSTGRES_QUERY_FAILED', page: 5 });
    expect((reason(4) as Error).cause).toMatchObject({ sqlState: '23514' });
    expect(reason(6)).toMatchObject({ code: 'RECORD_NOT_SERIALISABLE', page: 7 });
    const stored = await rows('records__pages', 'task_key', 'records');
    expect(stored.map((row) => row.key).sort()).toEqual(
      [1, 2, 3, 4, 6, 8].map((number) => page(number, []).key).sort(),
    );
    expect(await count('records')).toBe(12);
    await target.close();
  });

  it('keeps a writeTo crawl within concurrency + buffer while it batches', async () => {
    const target = recordsSink();
    await target.write(page(0, []));
    const commits = await holdCommits();
    const concurrency = 2;
    const buffer = 3;
    let started = 0;
    let acknowledged = 0;
    let most = 0;
    type FanTask = { type: 'test.fan'; page: number };
    const handler: Handler<FanTask, Record<string, unknown>> = async (task) => {
      started += 1;
      most = Math.max(most, started - acknowledged);
      const nextTasks =
        task.page === 0
          ? Array.from({ length: 20 }, (_, index) => ({ type: 'test.fan' as const, page: index + 1 }))
          : [];
      return { task, data: [{ id: `fan-${task.page}` }], nextTasks };
    };
    const done = lastValueFrom(
      of<FanTask>({ type: 'test.fan', page: 0 }).pipe(
        crawl(handler, { concurrency, buffer, retry: false }),
        map((crawled) => ({
          ...crawled,
          ack: () => {
            acknowledged += 1;
            crawled.ack();
          },
        })),
        writeTo(target),
        toArray(),
      ),
    );
    // The first batch is held at its COMMIT: the crawl fills its bound and stops there.
    await waitFor(commits.waiting);
    await waitFor(async () => started - acknowledged === concurrency + buffer);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(started - acknowledged).toBe(concurrency + buffer);
    await commits.release();

    expect(await done).toHaveLength(21);
    expect(most).toBe(concurrency + buffer);
    expect(acknowledged).toBe(21);
    expect(await count('records')).toBe(21);
    const fanKeys = Array.from({ length: 21 }, (_, index) => taskKey({ type: 'test.fan', page: index }));
    expect(await transactionsOf('records__pages', fanKeys)).toBeLessThan(21);
    await target.close();
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PostgresSink write dispositions', () => {
  const stored = async () =>
    (await admin.query(`SELECT record_key AS key, record FROM ${q(schema)}.records ORDER BY 1, 2::text`))
      .rows;
  const hasKey = async () =>
    (
      await admin.query(
        `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
        [`${q(schema)}.records`],
      )
    ).rows[0].n === 1;

  it('append copies every record in, run after run, into a table without a key', async () => {
    for (const v of [1, 2]) {
      const target = recordsSink({ disposition: 'append' });
      await target.write(page(1, [{ id: 'a', v }]));
      await target.close();
    }

    expect(await stored()).toEqual([
      { key: 'a', record: { id: 'a', v: 1 } },
      { key: 'a', record: { id: 'a', v: 2 } },
    ]);
    expect(await hasKey()).toBe(false);
  });

  it('append stores a batch whose pages come at once, failing alone a page that cannot be encoded: no row of it, nor its checkpoint', async () => {
    const target = recordsSink({ disposition: 'append' });
    await target.runs?.open();
    const hostile = {
      id: 'h\t\\k\n',
      text: 'tab\there\nline \\ back "q" \\u0000 \ud834\udd1e é',
      nested: { a: [1, '\r'] },
    };
    const pages = [
      page(1, [{ id: 'a', v: 1 }, hostile]),
      page(2, [{ id: 'b', v: 2 }]),
      page(3, [{ id: 'c', v: 3n }]),
      page(4, [{ id: 'd', v: 4 }]),
    ];

    const outcomes = await Promise.allSettled(pages.map((each) => target.write(each)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(outcomes[2]).toMatchObject({ reason: { code: 'RECORD_NOT_SERIALISABLE', page: 3 } });
    expect(await stored()).toEqual(
      [
        { key: 'a', record: { id: 'a', v: 1 } },
        { key: hostile.id, record: hostile },
        { key: 'b', record: { id: 'b', v: 2 } },
        { key: 'd', record: { id: 'd', v: 4 } },
      ].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)),
    );
    const checkpoints = await admin.query(
      `SELECT task_key, records FROM ${q(schema)}.records__pages ORDER BY 1`,
    );
    expect(checkpoints.rows).toEqual(
      [pages[0], pages[1], pages[3]]
        .map((each) => ({ task_key: each?.key, records: each?.data.length }))
        .sort((x, y) => ((x.task_key ?? '') < (y.task_key ?? '') ? -1 : 1)),
    );
    await target.close();
  });

  it('replace swaps the run’s result in when it finishes, keyed, the last copy of a key met twice winning', async () => {
    const old = recordsSink({ disposition: 'replace' });
    await old.write(page(1, [{ id: 'old', v: 0 }]));
    await old.close();
    const target = recordsSink({ disposition: 'replace' });
    await target.write(page(1, [{ id: 'a', v: 1 }]));
    await target.write(
      page(2, [
        { id: 'a', v: 2 },
        { id: 'b', v: 2 },
      ]),
    );

    expect(await stored()).toEqual([{ key: 'old', record: { id: 'old', v: 0 } }]);
    await target.close();

    expect(await stored()).toEqual([
      { key: 'a', record: { id: 'a', v: 2 } },
      { key: 'b', record: { id: 'b', v: 2 } },
    ]);
    expect(await hasKey()).toBe(true);
    const tables = await admin.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
      [schema],
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(['records', 'records__pages', 'records__runs']);
  });

  it('a replace run with a page that failed does not swap on close: the old table stays, the run stays unfinished', async () => {
    const old = recordsSink({ disposition: 'replace' });
    await old.write(page(1, [{ id: 'old', v: 0 }]));
    await old.close();
    const target = recordsSink({ disposition: 'replace' });
    await target.write(page(1, [{ id: 'a', v: 1 }]));
    await expect(target.write(page(2, [{ id: 'b', v: 2n }]))).rejects.toMatchObject({
      code: 'RECORD_NOT_SERIALISABLE',
    });

    await target.close();

    expect(await stored()).toEqual([{ key: 'old', record: { id: 'old', v: 0 } }]);
    const runs = await admin.query(`SELECT state FROM ${q(schema)}.records__runs ORDER BY started_at`);
    expect(runs.rows.map((row) => row.state)).toEqual(['finished', 'running']);
  });

  it('an aborted replace leaves the old table as it was, and its resume finishes the swap', async () => {
    const old = recordsSink({ disposition: 'replace' });
    await old.write(page(1, [{ id: 'old', v: 0 }]));
    await old.close();
    const failing = recordsSink({ disposition: 'replace' });
    const opened = await failing.runs.open();
    await failing.write(page(1, [{ id: 'a', v: 1 }]));
    await failing.abort(new Error('stopped'));

    expect(await stored()).toEqual([{ key: 'old', record: { id: 'old', v: 0 } }]);
    const resumed = recordsSink({ disposition: 'replace' });
    expect(await resumed.runs.open()).toMatchObject({
      resumed: true,
      pagesStored: 1,
      run: { id: opened.run.id },
    });
    expect(await resumed.checkpoint.completed([page(1, []).key, page(2, []).key])).toEqual(
      new Map([[page(1, []).key, []]]),
    );
    await resumed.write(page(2, [{ id: 'b', v: 2 }]));
    await resumed.close();

    expect(await stored()).toEqual([
      { key: 'a', record: { id: 'a', v: 1 } },
      { key: 'b', record: { id: 'b', v: 2 } },
    ]);
    const runs = await admin.query(`SELECT state FROM ${q(schema)}.records__runs ORDER BY started_at`);
    expect(runs.rows.map((row) => row.state)).toEqual(['finished', 'finished']);
  });
});
