// Pages per second of one crawl run by 1, 2 and 4 `startWorker` processes on one BullMQ queue,
// each at concurrency 4 (or BENCH_WORKER_CONCURRENCY), beside the single-process crawl
// (`runConnector`, what `capital run` executes) at the same total concurrency, in the same run.
// The emulator runs in a child process with 50 ms latency and no rate limit; the search "inc" has
// 94 pages (page 1 fans out to the other 93). Both sides write to a no-op sink that resolves at once, as if durable, so that
// the figures measure the queue, not a database.
//
// A queue run is timed from just before the seed is enqueued to the `finishedOn` of the last
// job to complete; its completed jobs are then removed, so the next run fetches every page again.
// Workers stay up between runs (warm, like the in-process side); queue and in-process runs
// alternate in pairs (ABBA), each side warmed up once first. Each figure is the median of
// several runs, and the spread of a side's runs (max/min − 1) is the noise. Goals: ≥ 1.8× the pages per second of 1 worker with 2 workers, ≥ 3× with 4. The
// "ideal" column is the ceiling latency alone allows: page 1 comes first, then the other 93 in
// rounds of `concurrency`, so 1 + ⌈93 ÷ concurrency⌉ rounds. The queue's overhead per page is the
// time a page holds a concurrency slot (concurrency ÷ pages per second) minus the same in-process.
// Every process (workers, emulator, Redis, this one) shares the machine's cores: on a small
// machine the 4-worker figure measures the CPU as much as the queue.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { runConnector } from '@capital/cli';
import { createCredentialResolver } from '@capital/core';
import { enqueueSeeds, openQueue, readCrawlCounts, resolveQueueConnection } from '@capital/workers';
import { connector } from '@capital/wtd-connector';
import { startChildEmulator } from './support/child-emulator.mjs';
import { median } from './support/stats.mjs';
import { startWorkerProcesses } from './support/workers-pool.mjs';

const searchTerm = 'inc';
const latencyMs = 50;
const perWorker = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 4);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const redis = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const noopSink = () => ({
  write: async (page) => ({ key: page.key, records: page.data.length }),
  close: async () => ({ pages: 0, records: 0, location: 'nowhere' }),
  abort: async () => {},
});

async function inProcess(url, concurrency) {
  const started = performance.now();
  const summary = await runConnector({
    connector,
    params: { search: searchTerm },
    sink: noopSink(),
    baseUrl: url,
    resolveCredential: createCredentialResolver({}, { WTD_API_TOKEN: 'bench' }),
    concurrency,
  });
  return summary.pagesFetched / ((performance.now() - started) / 1000);
}

/** One crawl through the queue, from enqueue to the last completion; leaves the queue empty. */
async function throughQueue(queue, connection, url) {
  const started = Date.now();
  await enqueueSeeds({ ...connection, connector, params: { search: searchTerm }, baseUrl: url });
  let counts = await readCrawlCounts(queue);
  while (counts.waiting + counts.active + counts.delayed + counts.prioritized > 0 || counts.completed === 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    counts = await readCrawlCounts(queue);
  }
  if (counts.failed > 0) throw new Error(`${counts.failed} jobs failed in the bench crawl.`);
  const [last] = await queue.getJobs(['completed'], 0, 0, false);
  const pages = counts.completed;
  await queue.clean(0, 0, 'completed');
  return pages / ((last.finishedOn - started) / 1000);
}

/**
 * `repeats` runs through the queue with `count` workers and as many in-process runs at the same
 * total concurrency, alternating in pairs (ABBA) so that the machine's load falls on both alike.
 */
async function measure(count, url) {
  const connection = resolveQueueConnection({
    redis,
    queue: `bench-${count}`,
    prefix: `capital-bench:${randomBytes(6).toString('hex')}`,
  });
  const workers = await startWorkerProcesses({ ...connection, count, concurrency: perWorker, baseUrl: url });
  const queue = await openQueue(connection);
  const concurrency = count * perWorker;
  try {
    await throughQueue(queue, connection, url); // warm-up
    await inProcess(url, concurrency); // warm-up
    const queued = [];
    const local = [];
    for (let run = 0; run < repeats; run += 1) {
      if (run % 2 === 0) {
        queued.push(await throughQueue(queue, connection, url));
        local.push(await inProcess(url, concurrency));
      } else {
        local.push(await inProcess(url, concurrency));
        queued.push(await throughQueue(queue, connection, url));
      }
    }
    return { queued, local };
  } finally {
    await workers.stop();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

const spread = (values) => Math.max(...values) / Math.min(...values) - 1;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

export async function main() {
  const loadBefore = load();
  const emulator = await startChildEmulator(latencyMs);
  const rows = [];
  try {
    for (const count of [1, 2, 4]) {
      const { queued, local } = await measure(count, emulator.url);
      rows.push({
        workers: count,
        concurrency: count * perWorker,
        queue: median(queued),
        inProcess: median(local),
        queueSpread: spread(queued),
        localSpread: spread(local),
      });
    }
  } finally {
    await emulator.stop();
  }
  const base = rows[0].queue;
  const rounds = (concurrency) => 1 + Math.ceil((94 - 1) / concurrency);
  const ideal = (row) => rounds(perWorker) / rounds(row.concurrency);
  const slotMs = (row, rate) => (row.concurrency * 1000) / rate;
  console.log(
    `workers throughput (pages/s, median of ${repeats}; search "${searchTerm}", ${latencyMs} ms latency, ` +
      `limits off, no-op sink, ${perWorker} per worker process; load average ${loadBefore} before, ${load()} after):`,
  );
  console.log(
    '  workers  concurrency  queue  in-process  queue/in-proc  vs 1 worker  (ideal)  ms/page queue  in-process  overhead  spread queue  in-process',
  );
  for (const row of rows) {
    const queueMs = slotMs(row, row.queue);
    const localMs = slotMs(row, row.inProcess);
    console.log(
      `  ${String(row.workers).padStart(7)}  ${String(row.concurrency).padStart(11)}  ${row.queue.toFixed(0).padStart(5)}` +
        `  ${row.inProcess.toFixed(0).padStart(10)}  ${(row.queue / row.inProcess).toFixed(2).padStart(12)}×` +
        `  ${(row.queue / base).toFixed(2).padStart(10)}×  ${ideal(row).toFixed(2).padStart(6)}×  ${queueMs.toFixed(1).padStart(13)}  ${localMs.toFixed(1).padStart(10)}` +
        `  ${(queueMs - localMs).toFixed(1).padStart(7)} ms  ${percent(row.queueSpread).padStart(12)}  ${percent(row.localSpread).padStart(10)}`,
    );
  }
  const at = (count) => rows.find((row) => row.workers === count).queue / base;
  console.log(
    `  goal ≥ 1.8× at 2 workers: ${at(2).toFixed(2)}× (${at(2) >= 1.8 ? 'met' : 'MISSED'}); ` +
      `goal ≥ 3× at 4 workers: ${at(4).toFixed(2)}× (${at(4) >= 3 ? 'met' : 'MISSED'})`,
  );
  return { rows, speedup2: at(2), speedup4: at(4) };
}

function percent(value) {
  return `${(value * 100).toFixed(0)} %`;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
