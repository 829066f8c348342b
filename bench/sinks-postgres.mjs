// Rows per second into PostgreSQL through PostgresSink, one figure per write disposition, in
// pages of 50 (the WTD API's) and of 1000 listing-shaped records, beside, on the same rows in the
// same run, `psql \copy` of the very rows the sink stores (record_key, record and the four
// provenance columns) into the same table shape:
//
// - `append` (COPY straight into the table, no key) vs `\copy` into the sink's table without a
//   key: goal ≥ 0.8×;
// - `replace` (COPY into a new table, keyed once at the end, swapped in) vs `\copy` into the
//   sink's keyed table (the shape the swapped-in table has): goal ≥ 0.8×;
// - `merge` (COPY into a staging table, then upsert) vs `\copy` into the keyed table: goal ≥ 0.6×;
// - for scale: a plain pg loop of multi-row `INSERT … ON CONFLICT` per page, in autocommit.
//
// Both sides are timed alike, from a process's point of view: psql's clock runs from its spawn
// (start-up, connect, the COPY, exit); the sink's from a new pool, through its connect, opening
// its run, every write (driven as `capital run` drives it: writeTo, at most 12 pages
// unacknowledged, the default crawl's bound) and `close()` — which for `replace` builds the key
// and swaps the tables. Every method writes into a fresh, empty table made before its clock
// starts (the sink's with its pages and runs tables). Each figure is the median of several runs;
// the order of the methods rotates between runs. The server's own settings (synchronous_commit,
// fsync) hold.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PostgresSink } from '@capital/sinks';
import { insertLoop, psqlCopy, writeCopyFile } from './support/postgres-baselines.mjs';
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
const connectionUrl = `postgres://${encodeURIComponent(connection.user)}@${connection.host}:${connection.port}/${connection.database}`;
const columns =
  '(record jsonb NOT NULL, record_key text %KEY%, connector text, task_key text, page int, fetched_at timestamptz)';
const keyedShape = columns.replace('%KEY%', 'PRIMARY KEY');
const plainShape = columns.replace('%KEY%', 'NOT NULL');
const sinkColumns = 'record_key, record, connector, task_key, page, fetched_at';

/** Rows per second of the sink with `disposition`, timed from a new pool to `close()`. */
async function viaSink(schema, table, pages, disposition) {
  const options = { schema, table, recordKey: (record) => record.symbol, connector: 'bench', disposition };
  // The tables (records, pages, runs) exist before the clock starts, as psql's table does.
  const setup = new PostgresSink({ ...options, connection: connectionUrl });
  await setup.runs.list();
  await setup.abort();
  const started = performance.now();
  const pool = new pg.Pool({ ...connection, max: 4 });
  try {
    const sink = new PostgresSink({ ...options, connection: pool });
    await sink.runs.open();
    await writeLikeACrawl(sink, pages);
    await sink.close();
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

async function viaLoop(admin, target, pages) {
  await admin.query(`CREATE TABLE ${target} ${keyedShape}`);
  const started = performance.now();
  await insertLoop(admin, target, pages);
  return rows / ((performance.now() - started) / 1000);
}

async function viaPsql(admin, target, shape, file) {
  await admin.query(`CREATE TABLE ${target} ${shape}`);
  const started = performance.now();
  await psqlCopy(connection, target, file, sinkColumns);
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
    return `${kind}_${tables}`;
  };
  try {
    await admin.query(`CREATE SCHEMA ${q(schema)}`);
    for (const pageSize of pageSizes) {
      const pages = listingPages(rows, pageSize);
      const file = join(folder, 'listings.tsv');
      await writeCopyFile(file, pages, { withProvenance: true });
      const methods = {
        merge: () => viaSink(schema, fresh('merge'), pages, 'merge'),
        append: () => viaSink(schema, fresh('append'), pages, 'append'),
        replace: () => viaSink(schema, fresh('replace'), pages, 'replace'),
        psqlPlain: () => viaPsql(admin, `${q(schema)}.${q(fresh('psql'))}`, plainShape, file),
        psqlKeyed: () => viaPsql(admin, `${q(schema)}.${q(fresh('keyed'))}`, keyedShape, file),
        insert: () => viaLoop(admin, `${q(schema)}.${q(fresh('insert'))}`, pages),
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
  console.log(
    `postgres sink (rows/s, median of ${repeats}; ${rows} listing-shaped rows of ~170 B of JSON, with provenance;`,
  );
  console.log(
    '  each timed from a new connection (the sink: pool, run, writes, close; psql: its whole process)):',
  );
  console.log('  page size   append  replace    merge  |  \\copy plain  \\copy keyed  |  INSERT loop');
  for (const row of results) {
    console.log(
      `  ${String(row.pageSize).padStart(9)}  ${n(row.append, 7)}  ${n(row.replace, 7)}  ${n(row.merge, 7)}  |  ${n(row.psqlPlain, 11)}  ${n(row.psqlKeyed, 11)}  |  ${n(row.insert, 11)}`,
    );
  }
  const goal = (label, value, target) =>
    `${label} ${value.toFixed(2)}× (goal ≥ ${target}×: ${value >= target ? 'met' : 'MISSED'})`;
  for (const row of results) {
    console.log(
      `  pages of ${row.pageSize}: ${goal('append/\\copy plain', row.append / row.psqlPlain, 0.8)}; ` +
        `${goal('replace/\\copy keyed', row.replace / row.psqlKeyed, 0.8)}; ` +
        `${goal('merge/\\copy keyed', row.merge / row.psqlKeyed, 0.6)}; ` +
        `for scale: merge is ${(row.merge / row.insert).toFixed(2)}× the INSERT loop`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
