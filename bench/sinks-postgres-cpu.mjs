// CPU time of the Node process per 50,000 rows written by PostgresSink, which a shared machine's
// load hardly moves (unlike rows/s): the same listing-shaped rows and pacing as
// sinks-postgres.mjs (`writeLikeACrawl`: writeTo behind the default crawl's bound), for one
// disposition (BENCH_PG_DISPOSITION, default append) at pages of 50 and 1000. Prints, per page
// size, the median of the runs' user+system CPU (main thread, GC helpers and libuv alike) and of
// their GC pauses, beside the load average. The first runs are the JIT's warm-up: they count.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { PostgresSink } from '@capital/sinks';
import { connection, pg } from './support/postgres-connection.mjs';
import { listingPages, writeLikeACrawl } from './support/postgres-rows.mjs';
import { median } from './support/stats.mjs';

const rows = Number(process.env.BENCH_PG_ROWS ?? 50_000);
const repeats = Number(process.env.BENCH_REPEATS ?? 9);
const disposition = process.env.BENCH_PG_DISPOSITION ?? 'append';
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
/** Lets the GC entries of what ran be delivered. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** CPU and GC pause ms per 50,000 rows of one run: its writes and `close()`. */
async function oneRun(schema, table, pages) {
  const pool = new pg.Pool({ ...connection, max: 4 });
  try {
    for (const client of await Promise.all([pool.connect(), pool.connect()])) client.release();
    const sink = new PostgresSink({
      schema,
      table,
      recordKey: (record) => record.symbol,
      connector: 'bench',
      disposition,
      connection: pool,
    });
    await sink.runs.open();
    await settle();
    const gcBefore = gcMs;
    const before = process.cpuUsage();
    await writeLikeACrawl(sink, pages);
    await sink.close();
    const used = process.cpuUsage(before);
    await settle();
    const scale = 50_000 / rows;
    return { cpu: ((used.user + used.system) / 1000) * scale, gc: (gcMs - gcBefore) * scale };
  } finally {
    await pool.end();
  }
}

const admin = new pg.Pool({ ...connection, max: 1 });
const schema = `capital_bench_${randomBytes(4).toString('hex')}`;
const q = (name) => pg.escapeIdentifier(name);
try {
  await admin.query(`CREATE SCHEMA ${q(schema)}`);
  console.log(
    `postgres sink ${disposition}: CPU ms of the Node process per 50,000 rows (median of ${repeats})`,
  );
  let tables = 0;
  for (const pageSize of [50, 1000]) {
    const pages = listingPages(rows, pageSize);
    const runs = [];
    const load = loadavg()[0];
    for (let run = 0; run < repeats; run += 1) {
      tables += 1;
      runs.push(await oneRun(schema, `t${tables}`, pages));
    }
    const cpu = runs.map((each) => each.cpu);
    console.log(
      `  pages of ${String(pageSize).padStart(4)}: CPU ${median(cpu).toFixed(0)} ms [${cpu.map((ms) => ms.toFixed(0)).join(' ')}], ` +
        `GC pauses ${median(runs.map((each) => each.gc)).toFixed(0)} ms; load ${load.toFixed(1)}–${loadavg()[0].toFixed(1)}`,
    );
  }
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`);
  await admin.end();
}
