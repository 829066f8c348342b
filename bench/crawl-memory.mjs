// Streams ≥ 1 GB of synthetic ~1 MB pages through `crawl` to a file (fsynced at the end, inside
// the clock, as the file sink's close does) and reports the process's
// peak RSS when 0.25 GB and when 1 GB have been written. The goal: flat (within 20 %) and
// under 150 MB, because the crawl holds at most `concurrency + buffer` pages at once (fewer of
// these large ones: its `bufferBytes`).
// BENCH_RUNS runs (default 3), each in a process of its own (peak RSS is the process's), with
// this process's flags; the medians are reported, with the load average.
import { spawnSync } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ackAfter, crawl } from '@capital/core';
import { lastValueFrom, of, tap } from 'rxjs';
import { median } from './support/stats.mjs';

const MB = 1024 * 1024;
const pageBytes = 1 * MB;
const totalBytes = Number(process.env.BENCH_CRAWL_BYTES ?? 1024 * MB);
const recordsPerPage = 1024;
const payloadLength = pageBytes / recordsPerPage - 40;
// Pages come out a little under 1 MB once serialised: 3 % more of them make sure ≥ totalBytes are written.
const pages = Math.ceil((totalBytes * 1.03) / pageBytes);

// `repeat` builds a payload as a rope whose halves are shared: a page holds ~0.4 MB until the
// writer's JSON.stringify flattens it. BENCH_FLAT_PAGES=1 makes each payload a flat string of its
// own, ~1 MB a page in memory as JSON.parse makes an API's page (and more peak RSS).
const flatPages = process.env.BENCH_FLAT_PAGES === '1';
// BENCH_SINK=file writes through writeTo(FileSink) (provenance, 8 pending writes, fsync and
// rename on close) instead of the plain writer below.
const viaFileSink = process.env.BENCH_SINK === 'file';
const letters = Array.from({ length: 26 }, (_, letter) => Buffer.alloc(payloadLength, 97 + letter));
const payloadOf = (letter) =>
  flatPages
    ? (letters[letter] ?? letters[0]).toString('latin1')
    : String.fromCharCode(97 + letter).repeat(payloadLength);

/** A synthetic paginated source: page N holds 1024 records of ~1 KB each, then points at N + 1. */
const handler = async (task) => {
  const seed = task.page % 26;
  const data = Array.from({ length: recordsPerPage }, (_, index) => ({
    id: task.page * recordsPerPage + index,
    payload: payloadOf((seed + index) % 26),
  }));
  return {
    task,
    data,
    nextTasks: task.page + 1 < pages ? [{ type: 'bench.page', page: task.page + 1 }] : [],
  };
};

/**
 * A page's records as NDJSON, each line written straight into one buffer: joining the lines into
 * a string, appending the newline and letting the stream encode it made two more 1 MB copies of
 * every page on the JS heap (~15 MB more peak RSS, half the throughput).
 */
function ndjson(records) {
  let chunk = Buffer.allocUnsafe(lastChunkBytes + (lastChunkBytes >> 3));
  let at = 0;
  for (const record of records) {
    const line = JSON.stringify(record);
    // At most 3 bytes a UTF-16 unit, and the newline.
    if (at + line.length * 3 + 1 > chunk.length) {
      const bigger = Buffer.allocUnsafe(Math.max(chunk.length * 2, at + line.length * 3 + 1));
      chunk.copy(bigger, 0, 0, at);
      chunk = bigger;
    }
    at += chunk.write(line, at);
    chunk[at] = 10;
    at += 1;
  }
  lastChunkBytes = at;
  return chunk.subarray(0, at);
}
// Sized from the last page's, so that a page is not copied as its buffer grows.
let lastChunkBytes = 64 * 1024;

async function once() {
  const folder = await mkdtemp(join(tmpdir(), 'capital-bench-'));
  const path = join(folder, 'pages.ndjson');
  const peakMb = () => process.resourceUsage().maxRSS / 1024;
  const startMb = process.memoryUsage().rss / MB;
  const marks = [];
  let written = 0;
  const mark = () => {
    for (const at of [0.25, 1]) {
      if (!marks.some((mark) => mark.at === at) && written >= at * 1024 * MB)
        marks.push({ at, peakMb: peakMb() });
    }
  };
  const pages$ = of({ type: 'bench.page', page: 0 }).pipe(
    crawl(handler, { concurrency: Number(process.env.C ?? 4), buffer: Number(process.env.B ?? 8) }),
  );
  const started = performance.now();
  if (viaFileSink) {
    // Loaded only here: its modules would add ~7 MB to the plain writer's RSS.
    const { FileSink, writeTo } = await import('@capital/sinks');
    const sink = new FileSink({ path });
    await lastValueFrom(
      pages$.pipe(
        writeTo(sink),
        tap(() => {
          written = statSync(sink.temporaryPath).size;
          mark();
        }),
      ),
      { defaultValue: undefined },
    );
    await sink.close();
  } else {
    const out = createWriteStream(path);
    const write = (page) =>
      new Promise((resolve, reject) => {
        const chunk = ndjson(page.data);
        out.write(chunk, (error) => (error ? reject(error) : resolve()));
        written += chunk.length;
        mark();
      });
    await lastValueFrom(pages$.pipe(ackAfter(write)), { defaultValue: undefined });
    await new Promise((resolve) => out.end(resolve));
    // Durable, as the file sink makes it on close.
    const handle = await open(path, 'r');
    await handle.sync();
    await handle.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await rm(folder, { recursive: true, force: true });
  const quarter = marks.find((mark) => mark.at === 0.25);
  const full = marks.find((mark) => mark.at === 1);
  return {
    gbWritten: +(written / 1024 / MB).toFixed(3),
    seconds: +seconds.toFixed(1),
    mbPerSecond: +(written / MB / seconds).toFixed(0),
    rssAtStartMb: +startMb.toFixed(0),
    peakRssAt025GbMb: quarter ? +quarter.peakMb.toFixed(0) : null,
    peakRssAt1GbMb: full ? +full.peakMb.toFixed(0) : null,
  };
}

export async function main() {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(1))
      .join(' ');
  const loadAtStart = load();
  const rows = [];
  for (let run = 0; run < runs; run += 1) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, new URL(import.meta.url).pathname, '--once'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (child.status !== 0)
      throw new Error(`crawl-memory run ${run + 1} exited with ${child.status ?? child.signal}`);
    rows.push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
  }
  const mid = (field) =>
    rows.some((row) => row[field] === null) ? null : median(rows.map((row) => row[field]));
  const result = {
    bench: 'crawl-memory',
    runs,
    gbWritten: mid('gbWritten'),
    seconds: mid('seconds'),
    mbPerSecond: mid('mbPerSecond'),
    rssAtStartMb: mid('rssAtStartMb'),
    peakRssAt025GbMb: mid('peakRssAt025GbMb'),
    peakRssAt1GbMb: mid('peakRssAt1GbMb'),
    loadAtStart,
    loadAtEnd: load(),
  };
  result.growth1GbVs025Gb =
    result.peakRssAt1GbMb === null ? null : +(result.peakRssAt1GbMb / result.peakRssAt025GbMb).toFixed(3);
  const flat = result.growth1GbVs025Gb !== null && result.growth1GbVs025Gb <= 1.2;
  const under = result.peakRssAt1GbMb !== null && result.peakRssAt1GbMb < 150;
  console.log(
    `crawl memory (${viaFileSink ? 'FileSink, ' : ''}${flatPages ? 'flat pages, ' : ''}medians of ${runs} runs; load average ${loadAtStart} → ${result.loadAtEnd}): ${result.gbWritten} GB in ${result.seconds} s (${result.mbPerSecond} MB/s); ` +
      `RSS at start ${result.rssAtStartMb} MB, peak ${result.peakRssAt025GbMb} MB at 0.25 GB, ${result.peakRssAt1GbMb} MB at 1 GB (runs: ${rows.map((row) => row.peakRssAt1GbMb).join(', ')})`,
  );
  console.log(
    `  goal flat within 20 %: ${flat ? 'met' : 'MISSED'} (×${result.growth1GbVs025Gb}); peak RSS under 150 MB: ${under ? 'met' : 'MISSED'}`,
  );
  return result;
}

if (process.argv.includes('--once')) console.log(JSON.stringify(await once()));
else if (import.meta.url === `file://${process.argv[1]}`) await main();
