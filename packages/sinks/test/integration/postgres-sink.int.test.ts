import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { runConnector } from '@capital/cli';
import { type Connector, createCredentialResolver, type Task, taskKey } from '@capital/core';
import { connector, type Listing } from '@capital/wtd-connector';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import fc from 'fast-check';
import { escapeIdentifier, Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parsePostgresSinkUrl } from '../../src/postgres/parse-postgres-sink-url.js';
import { PostgresSink } from '../../src/postgres/postgres-sink.js';
import { PostgresSinkError } from '../../src/postgres/postgres-sink-error.js';
import type { PostgresSinkOptions } from '../../src/postgres/postgres-sink-options.js';
import type { Sink, SinkPage } from '../../src/sink.js';
import { SinkWriteError } from '../../src/sink-error.js';

// The PostgreSQL on loopback, as the PG* variables say, else 127.0.0.1:5432, user postgres, db test.
const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};
const serverUrl = `postgres://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${server.database}`;
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
  admin = new Pool({ ...server, max: 2 });
  emulator = await startEmulator({ rateLimit: false });
});
afterAll(async () => {
  await emulator.close();
  await admin.end();
});
// Each test in a schema of its own, dropped afterwards.
beforeEach(() => {
  schema = `capital_test_${randomBytes(6).toString('hex')}`;
  emulator.resetStats();
});
afterEach(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`);
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

  it('a second run stores nothing twice and fetches no page again: every page is skipped', async () => {
    await runWtd(wtdSink());
    emulator.resetStats();

    const second = await runWtd(wtdSink());

    expect(await storedSymbols()).toEqual(expectedSymbols);
    expect(second).toMatchObject({ pagesSkipped: 9, pagesFetched: 0, pages: 0, records: 0 });
    expect(emulator.stats().requests).toBe(0);
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
      const { wrapper } = counted(
        wtdSink(),
        how === 'signal'
          ? { after: (acknowledged) => acknowledged === 3 && controller.abort(stop()) }
          : {
              before: (acknowledged) => {
                if (acknowledged === 3) throw stop();
              },
            },
      );

      await expect(runWtd(wrapper, { signal: controller.signal, concurrency: 2 })).rejects.toThrow(
        'killed midway',
      );

      // Writes are one at a time (ackAfter), so exactly the three acknowledged pages are stored.
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
    // Make the tables, then make every page's commit slow inside PostgreSQL itself.
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

    expect(started).toBe(9);
    expect(most).toBeLessThanOrEqual(2 + 2);
    expect(most).toBeGreaterThan(2);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(9 * 200);
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
      await admin.query(`DROP SCHEMA IF EXISTS ${q(weirdSchema)} CASCADE`);
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

describe('PostgresSink and records it cannot store', () => {
  const sink = () =>
    new PostgresSink<Record<string, unknown>>({
      connection: serverUrl,
      schema,
      table: 'records',
      recordKey: (record) => String(record.id),
    });
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
      const target = sink();
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
  const sink = (extra: Partial<PostgresSinkOptions<Record<string, unknown>>> = {}) =>
    new PostgresSink<Record<string, unknown>>({
      connection: serverUrl,
      schema,
      table: 'records',
      recordKey: (record) => String(record.id),
      ...extra,
    });
  const rows = async (table = 'records', key = 'record_key', record = 'record') =>
    (
      await admin.query(
        `SELECT ${q(key)} AS key, ${q(record)} AS record FROM ${q(schema)}.${q(table)} ORDER BY 1`,
      )
    ).rows;

  it('keeps the last of two records with one key in a page, and one row per record when a page is replayed', async () => {
    const target = sink();
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
    const target = sink();

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
    const target = sink({ recordKey: (record) => String(record.key) });
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
    const target = sink();
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
    const target = sink({
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
    const target = sink({ createTable: false });

    const error = await target.write(page(1, [{ id: 'a' }])).catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({ code: 'POSTGRES_TABLE_MISSING' });
    expect((error as Error).message).toContain(`"${schema}"."records"`);
    await target.abort();
  });

  it('ends the pool it made on close, and leaves a pool of yours open', async () => {
    const pool = new Pool({ ...server, max: 2 });
    try {
      const target = sink({ connection: pool });
      await target.write(page(1, [{ id: 'a' }]));
      await target.close();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
    const owned = sink();
    await owned.write(page(2, [{ id: 'b' }]));
    await owned.close();
    await expect(owned.write(page(3, [{ id: 'c' }]))).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('retries a write whose connection is cut mid-transaction, storing the page once', async () => {
    const target = sink();
    await target.write(page(1, [{ id: 'a' }]));
    const blocker = await admin.connect();
    try {
      await blocker.query(`BEGIN; LOCK TABLE ${q(schema)}.records__pages IN EXCLUSIVE MODE`);
      const writing = target.write(page(2, [{ id: 'b' }]));
      let pid: number | undefined;
      await waitFor(async () => {
        const waiting = await admin.query(
          `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%records__pages%'`,
        );
        pid = waiting.rows[0]?.pid;
        return pid !== undefined;
      });

      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await blocker.query('COMMIT');

      await expect(writing).resolves.toEqual({ key: page(2, []).key, records: 1 });
      expect(await rows()).toEqual([
        { key: 'a', record: { id: 'a' } },
        { key: 'b', record: { id: 'b' } },
      ]);
      await target.close();
    } finally {
      blocker.release();
    }
  });

  it('abort cuts off a write in flight: its page is rolled back, committed pages stay, connections are released', async () => {
    const pool = new Pool({ ...server, max: 3 });
    const blocker = await admin.connect();
    try {
      const target = sink({ connection: pool });
      await target.write(page(1, [{ id: 'a' }]));
      // Hold the pages table so that the next write waits inside its transaction.
      await blocker.query(`BEGIN; LOCK TABLE ${q(schema)}.records__pages IN EXCLUSIVE MODE`);
      const writing = target.write(page(2, [{ id: 'b' }])).catch((thrown: unknown) => thrown);
      await waitFor(async () => {
        const waiting = await admin.query(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%records__pages%'`,
        );
        return Number(waiting.rows[0].n) > 0;
      });

      await target.abort(new Error('stop'));

      expect(await writing).toMatchObject({ name: 'SinkWriteError', code: 'SINK_ABORTED', page: 2 });
      await blocker.query('COMMIT');
      expect(await rows()).toEqual([{ key: 'a', record: { id: 'a' } }]);
      expect(pool.totalCount).toBe(0);
    } finally {
      blocker.release();
      await pool.end();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
