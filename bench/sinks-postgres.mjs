// Rows per second into PostgreSQL through PostgresSink (group commit: the pages that arrive
// while a transaction runs share the next one — one COPY into a staging table, one upsert, one
// pages-table insert, one COMMIT), in pages of 50 (the WTD API's) and of 1000 listing-shaped
// records, beside, on the same rows in the same run:
//
// - the sink driven as `capital run` drives it: `writeTo(sink)` (up to maxPendingWrites = 16
//   writes in flight) behind a source that keeps at most 12 pages unacknowledged, the bound of
//   the crawl's defaults (concurrency 4 + buffer 8), handing over the next page as soon as one is
//   acknowledged (see writeLikeACrawl in support/postgres-rows.mjs);
//
// - a plain pg loop of multi-row `INSERT … ON CONFLICT (record_key) DO UPDATE`, one statement per
//   page in autocommit (so one transaction per page), awaited one after another, into a table of
//   the sink's shape (goal: sink ≥ 5× this);
// - `psql -c "\copy t(record) from 'file'"` of the rows as NDJSON into a bare jsonb column: one
//   transaction for everything, no key, no upsert — the ceiling (goal: sink ≥ 0.7× this);
// - for scale only: a row-by-row `INSERT … ON CONFLICT` loop (one transaction per page), and
//   psql \copy into a (record_key PRIMARY KEY, record) table, which adds the index the sink needs.
//
// Each figure is the median of several runs; the order of the methods rotates between runs and
// every run writes into a fresh table. The server's own settings (synchronous_commit, fsync) hold.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PostgresSink } from '@capital/sinks';
import { insertLoop, psqlCopy, rowByRowLoop, writeCopyFile } from './support/postgres-baselines.mjs';
import { listingPages, writeLikeACrawl } from './support/postgres-rows.mjs';
import { median } from './support/stats.mjs';

const rows = Number(process.env.BENCH_PG_ROWS ?? 20_000);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const pageSizes = [50, 1000];
const connection = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

// The root has no pg of its own: use the one @capital/sinks depends on.
const requireFromSinks = createRequire(import.meta.resolve('@capital/sinks'));
const { default: pg } = await import(pathToFileURL(requireFromSinks.resolve('pg')).href);

const q = (name) => pg.escapeIdentifier(name);
const sinkShape =
  '(record jsonb NOT NULL, record_key text PRIMARY KEY, connector text, task_key text, page int, fetched_at timestamptz)';

/** Rows per second of the sink over every page, driven as a crawl, the tables made before the clock starts. */
async function viaSink(schema, table, pages) {
  const pool = new pg.Pool({ ...connection, max: 2 });
  try {
    const sink = new PostgresSink({ connection: pool, schema, table, recordKey: (record) => record.symbol });
    await sink.checkpoint.completed(['create the tables before the clock starts']);
    const started = performance.now();
    await writeLikeACrawl(sink, pages);
    const seconds = (performance.now() - started) / 1000;
    await sink.close();
    return rows / seconds;
  } finally {
    await pool.end();
  }
}

async function viaLoop(admin, target, pages, loop) {
  await admin.query(`CREATE TABLE ${target} ${sinkShape}`);
  const started = performance.now();
  await loop(admin, target, pages);
  return rows / ((performance.now() - started) / 1000);
}

async function viaPsql(admin, target, shape, file, columns) {
  await admin.query(`CREATE TABLE ${target} ${shape}`);
  const started = performance.now();
  await psqlCopy(connection, target, file, columns);
  return rows / ((performance.now() - started) / 1000);
}

export async function main() {
  const admin = new pg.Pool({ ...connection, max: 2 });
  const schema = `capital_bench_${randomBytes(4).toString('hex')}`;
  const folder = await mkdtemp(join(tmpdir(), 'capital-bench-pg-'));
  const results = [];
  let tables = 0;
  const fresh = (kind) => {
    tables += 1;
    return `${q(schema)}.${q(`${kind}_${tables}`)}`;
  };
  try {
    await admin.query(`CREATE SCHEMA ${q(schema)}`);
    for (const pageSize of pageSizes) {
      const pages = listingPages(rows, pageSize);
      const plain = join(folder, 'listings.ndjson');
      const keyed = join(folder, 'listings-keyed.tsv');
      await writeCopyFile(plain, pages);
      await writeCopyFile(keyed, pages, { withKey: true });
      const methods = {
        sink: () => {
          tables += 1;
          return viaSink(schema, `sink_${tables}`, pages);
        },
        insert: () => viaLoop(admin, fresh('insert'), pages, insertLoop),
        rowByRow: () => viaLoop(admin, fresh('row'), pages, rowByRowLoop),
        psql: () => viaPsql(admin, fresh('psql'), '(record jsonb NOT NULL)', plain, 'record'),
        psqlKeyed: () =>
          viaPsql(
            admin,
            fresh('keyed'),
            '(record_key text PRIMARY KEY, record jsonb NOT NULL)',
            keyed,
            'record_key, record',
          ),
      };
      const measured = Object.fromEntries(Object.keys(methods).map((name) => [name, []]));
      const order = Object.keys(methods);
      for (let run = 0; run < repeats; run += 1) {
        // Rotate the order so that warm-up, autovacuum and checkpoints fall on every method alike.
        for (const name of order) measured[name].push(await methods[name]());
        order.push(order.shift());
      }
      results.push({
        pageSize,
        ...Object.fromEntries(Object.entries(measured).map(([name, values]) => [name, median(values)])),
      });
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`);
    await admin.end();
    await rm(folder, { recursive: true, force: true });
  }
  report(results);
  return results;
}

function report(results) {
  const n = (value, width) => value.toFixed(0).padStart(width);
  const x = (value, width) => `${value.toFixed(2).padStart(width)}×`;
  console.log(`postgres sink (rows/s, median of ${repeats}; ${rows} listing-shaped rows of ~170 B of JSON;`);
  console.log(
    '  sink: writeTo, ≤ 12 pages unacknowledged as the default crawl; INSERT loop: autocommit, one page at a time):',
  );
  console.log(
    '  page size     sink  multi-row INSERT  psql \\copy  sink/INSERT  sink/psql  |  row-by-row INSERT  psql \\copy keyed',
  );
  for (const row of results) {
    console.log(
      `  ${String(row.pageSize).padStart(9)}  ${n(row.sink, 7)}  ${n(row.insert, 16)}  ${n(row.psql, 10)}  ` +
        `${x(row.sink / row.insert, 10)}  ${x(row.sink / row.psql, 8)}  |  ${n(row.rowByRow, 17)}  ${n(row.psqlKeyed, 16)}`,
    );
  }
  for (const row of results) {
    const versusInsert = row.sink / row.insert;
    const versusPsql = row.sink / row.psql;
    console.log(
      `  pages of ${row.pageSize}: goal ≥ 5× the multi-row INSERT loop: ${versusInsert.toFixed(2)}× (${versusInsert >= 5 ? 'met' : 'MISSED'}); ` +
        `goal ≥ 0.7× psql \\copy: ${versusPsql.toFixed(2)}× (${versusPsql >= 0.7 ? 'met' : 'MISSED'}); ` +
        `for scale: ${(row.sink / row.rowByRow).toFixed(1)}× the row-by-row loop, ${(row.sink / row.psqlKeyed).toFixed(2)}× psql \\copy into a keyed table`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
