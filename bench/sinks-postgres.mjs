// Rows per second into PostgreSQL through PostgresSink (one transaction per page: COPY into a
// staging table, upsert, pages table row, COMMIT), beside a plain pg loop of multi-row
// `INSERT … ON CONFLICT DO UPDATE` (same rows, same page sizes, one transaction per page) and
// beside `psql \copy` of the same rows as NDJSON into a bare jsonb column (one transaction for
// everything, no key, no upsert: the ceiling). Pages of 50 (the WTD API's) and of 1000 records.
// Each figure is the median of several runs, in alternating order, each into a fresh table.
// Goals: sink ≥ 5× the INSERT loop; sink ≥ 0.7× psql \copy.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as sinks from '@capital/sinks';
import { insertLoop, psqlCopy, writeCopyFile } from './support/postgres-baselines.mjs';
import { listingPages } from './support/postgres-rows.mjs';
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

// Until `PostgresSink` is exported from @capital/sinks' index, take it from the built module.
const { PostgresSink } = sinks.PostgresSink
  ? sinks
  : await import(new URL('../packages/sinks/dist/postgres/postgres-sink.js', import.meta.url).href);
// The root has no pg of its own: use the one @capital/sinks depends on.
const requireFromSinks = createRequire(import.meta.resolve('@capital/sinks'));
const { default: pg } = await import(pathToFileURL(requireFromSinks.resolve('pg')).href);

const q = (name) => pg.escapeIdentifier(name);

async function viaInsertLoop(admin, schema, table, pages) {
  const target = `${q(schema)}.${q(table)}`;
  await admin.query(
    `CREATE TABLE ${target} (record jsonb NOT NULL, record_key text PRIMARY KEY, connector text, task_key text, page int, fetched_at timestamptz)`,
  );
  const started = performance.now();
  await insertLoop(admin, target, pages);
  return rows / ((performance.now() - started) / 1000);
}

async function viaPsqlCopy(admin, schema, table, file) {
  const target = `${q(schema)}.${q(table)}`;
  await admin.query(`CREATE TABLE ${target} (record jsonb NOT NULL)`);
  const started = performance.now();
  await psqlCopy(connection, target, file);
  return rows / ((performance.now() - started) / 1000);
}

export async function main() {
  const admin = new pg.Pool({ ...connection, max: 2 });
  const schema = `capital_bench_${randomBytes(4).toString('hex')}`;
  const folder = await mkdtemp(join(tmpdir(), 'capital-bench-pg-'));
  const results = [];
  try {
    await admin.query(`CREATE SCHEMA ${q(schema)}`);
    let tables = 0;
    const fresh = (kind) => `${kind}_${(tables += 1)}`;
    for (const pageSize of pageSizes) {
      const pages = listingPages(rows, pageSize);
      const file = join(folder, `listings-${pageSize}.ndjson`);
      await writeCopyFile(file, pages);
      const measured = { sink: [], insert: [], psql: [] };
      const runs = {
        sink: async () => measured.sink.push(await viaSinkWithPool(schema, fresh('sink'), pages)),
        insert: async () => measured.insert.push(await viaInsertLoop(admin, schema, fresh('insert'), pages)),
        psql: async () => measured.psql.push(await viaPsqlCopy(admin, schema, fresh('psql'), file)),
      };
      for (let run = 0; run < repeats; run += 1) {
        // Rotate the order so that warm-up, autovacuum and checkpoints fall on every method alike.
        const order = ['sink', 'insert', 'psql'];
        for (let turn = 0; turn < run % 3; turn += 1) order.push(order.shift());
        for (const method of order) await runs[method]();
      }
      results.push({
        pageSize,
        sink: median(measured.sink),
        insert: median(measured.insert),
        psql: median(measured.psql),
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

async function viaSinkWithPool(schema, table, pages) {
  const pool = new pg.Pool({ ...connection, max: 2 });
  try {
    const sink = new PostgresSink({ connection: pool, schema, table, recordKey: (record) => record.symbol });
    await sink.checkpoint.completed(['create the tables before the clock starts']);
    const started = performance.now();
    for (const page of pages) await sink.write(page);
    const seconds = (performance.now() - started) / 1000;
    await sink.close();
    return rows / seconds;
  } finally {
    await pool.end();
  }
}

function report(results) {
  const fixed = (value, width) => value.toFixed(0).padStart(width);
  console.log(
    `postgres sink (rows/s, median of ${repeats}; ${rows} listing-shaped rows of ~170 B; ` +
      `synchronous_commit as the server has it):`,
  );
  console.log('  page size     sink  INSERT loop  psql \\copy  sink/INSERT  sink/psql');
  for (const row of results) {
    console.log(
      `  ${String(row.pageSize).padStart(9)}  ${fixed(row.sink, 7)}  ${fixed(row.insert, 11)}  ${fixed(row.psql, 10)}  ` +
        `${(row.sink / row.insert).toFixed(2).padStart(10)}×  ${(row.sink / row.psql).toFixed(2).padStart(8)}×`,
    );
  }
  for (const row of results) {
    const versusInsert = row.sink / row.insert;
    const versusPsql = row.sink / row.psql;
    console.log(
      `  pages of ${row.pageSize}: goal ≥ 5× the INSERT loop: ${versusInsert.toFixed(2)}× (${versusInsert >= 5 ? 'met' : 'MISSED'}); ` +
        `goal ≥ 0.7× psql \\copy: ${versusPsql.toFixed(2)}× (${versusPsql >= 0.7 ? 'met' : 'MISSED'})`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
