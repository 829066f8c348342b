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
// - for scale: a hand-written pg sink doing merge's work with multi-row `INSERT … ON CONFLICT`,
//   driven alike (writeTo, the same pages in flight, group commit, a checkpoint row per page in
//   each page's transaction) — see `insertSink`.
//
// Every side is timed alike: connections, tables and the run are made before the clock starts
// (the sink: its pool connected, its records, pages and runs tables made and its run opened;
// psql: started and connected, its clock being its own `\timing` of the `\copy`); the clock
// covers storing the rows durably — for the sink every write (driven as `capital run` drives it:
// writeTo behind the default crawl's bound for this sink, concurrency 4 and `crawlBuffer`'s
// buffer: up to 20,000 records, two of the sink's batches, unacknowledged) and `close()`, which
// for `replace` builds the key and swaps the tables. Every method writes into a fresh, empty table.
// Each figure is the median of several runs; the order of the methods rotates between runs.
// Durability is the server's default on every side (synchronous_commit, fsync): the sink and the
// INSERT sink commit once per group, psql once.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresSink } from '@capital/sinks';
import {
  insertPagesShape,
  insertSink,
  psqlCopy,
  psqlScript,
  writeCopyFile,
  writeGroupedCopyScript,
} from './support/postgres-baselines.mjs';
import { connection, pg } from './support/postgres-connection.mjs';
import { listingPages, writeLikeACrawl } from './support/postgres-rows.mjs';
import { median } from './support/stats.mjs';

const rows = Number(process.env.BENCH_PG_ROWS ?? 50_000);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const pageSizes = [50, 1000];
const q = (name) => pg.escapeIdentifier(name);
const columns =
  '(record jsonb NOT NULL, record_key text %KEY%, connector text, task_key text, page int, fetched_at timestamptz)';
const keyedShape = columns.replace('%KEY%', 'PRIMARY KEY');
const plainShape = columns.replace('%KEY%', 'NOT NULL');
const sinkColumns = 'record_key, record, connector, task_key, page, fetched_at';

/** A pool whose connections are open before the clock starts. */
async function connectedPool() {
  const pool = new pg.Pool({ ...connection, max: 4 });
  const clients = await Promise.all([pool.connect(), pool.connect()]);
  for (const client of clients) client.release();
  return pool;
}

/** Rows per second of the sink with `disposition`: its writes and `close()`. */
async function viaSink(schema, table, pages, disposition) {
  const options = { schema, table, recordKey: (record) => record.symbol, connector: 'bench', disposition };
  const pool = await connectedPool();
  try {
    const sink = new PostgresSink({ ...options, connection: pool });
    await sink.runs.open();
    const started = performance.now();
    await writeLikeACrawl(sink, pages);
    await sink.close();
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

async function viaInsert(admin, schema, name, pages) {
  const table = `${q(schema)}.${q(name)}`;
  const pagesTable = `${q(schema)}.${q(`${name}__pages`)}`;
  await admin.query(`CREATE TABLE ${table} ${keyedShape}`);
  await admin.query(`CREATE TABLE ${pagesTable} ${insertPagesShape}`);
  const pool = await connectedPool();
  try {
    const sink = insertSink(pool, table, pagesTable);
    const started = performance.now();
    await writeLikeACrawl(sink, pages);
    await sink.close();
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

/** `\copy` cut into transactions as the sink commits: psql running a script of `BEGIN; COPY; COMMIT`. */
async function viaPsqlGroups(admin, schema, name, folder, file, rowsPerTransaction) {
  const target = `${q(schema)}.${q(name)}`;
  await admin.query(`CREATE TABLE ${target} ${plainShape}`);
  const script = join(folder, 'groups.sql');
  await writeGroupedCopyScript(script, file, target, sinkColumns, rowsPerTransaction);
  const ms = await psqlScript(connection, script);
  return rows / (ms / 1000);
}

async function viaPsql(admin, target, shape, file) {
  await admin.query(`CREATE TABLE ${target} ${shape}`);
  const ms = await psqlCopy(connection, target, file, sinkColumns);
  return rows / (ms / 1000);
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
        // The most the sink groups: its maxBatchRows (the crawl keeps twice that in flight).
        psqlGroups: () => viaPsqlGroups(admin, schema, fresh('groups'), folder, file, 10_000),
        insert: () => viaInsert(admin, schema, fresh('insert'), pages),
      };
      const measured = Object.fromEntries(Object.keys(methods).map((name) => [name, []]));
      const order = Object.keys(methods);
      const load = [loadavg()[0]];
      for (let run = 0; run < repeats; run += 1) {
        // Rotate the order so that warm-up, autovacuum and checkpoints fall on every method alike.
        for (const name of order) measured[name].push(await methods[name]());
        order.push(order.shift());
        load.push(loadavg()[0]);
      }
      // A ratio is the median of each run's: the methods of one run ran minutes apart at most,
      // under much the same load.
      const ratio = (name, baseline) =>
        median(measured[name].map((value, run) => value / measured[baseline][run]));
      results.push({
        pageSize,
        load: [Math.min(...load), Math.max(...load)],
        ...Object.fromEntries(Object.entries(measured).map(([name, values]) => [name, median(values)])),
        ratios: {
          append: ratio('append', 'psqlPlain'),
          replace: ratio('replace', 'psqlKeyed'),
          merge: ratio('merge', 'psqlKeyed'),
          insert: ratio('merge', 'insert'),
          groups: ratio('psqlGroups', 'psqlPlain'),
          appendGroups: ratio('append', 'psqlGroups'),
        },
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
  console.log('  connections, tables and run made before each clock; psql timed by its own \\timing):');
  console.log(
    '  page size   append  replace    merge  |  \\copy plain  \\copy keyed  \\copy in groups  |  INSERT sink  |  load avg',
  );
  for (const row of results) {
    console.log(
      `  ${String(row.pageSize).padStart(9)}  ${n(row.append, 7)}  ${n(row.replace, 7)}  ${n(row.merge, 7)}  |  ${n(row.psqlPlain, 11)}  ${n(row.psqlKeyed, 11)}  ${n(row.psqlGroups, 15)}  |  ${n(row.insert, 11)}  |  ${row.load[0].toFixed(1)}–${row.load[1].toFixed(1)}`,
    );
  }
  const goal = (label, value, target) =>
    `${label} ${value.toFixed(2)}× (goal ≥ ${target}×: ${value >= target ? 'met' : 'MISSED'})`;
  console.log("  ratios (median of the runs' ratios):");
  for (const { pageSize, ratios } of results) {
    console.log(
      `  pages of ${pageSize}: ${goal('append/\\copy plain', ratios.append, 0.8)}; ` +
        `${goal('replace/\\copy keyed', ratios.replace, 0.8)}; ` +
        `${goal('merge/\\copy keyed', ratios.merge, 0.6)}; ` +
        `for scale: merge is ${ratios.insert.toFixed(2)}× the INSERT sink`,
    );
    console.log(
      `    \\copy cut into the sink's transactions is ${ratios.groups.toFixed(2)}× one \\copy; ` +
        `append is ${ratios.appendGroups.toFixed(2)}× it`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
