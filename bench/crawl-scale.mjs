// Many small pages through `crawl` with a consumer that acknowledges at once, so that nothing but
// the crawl's own bookkeeping can grow. Run with --expose-gc (bench/run.mjs does).
// 1. A cursor chain of BENCH_CHAIN_PAGES pages (default 10,000,000): heap after a full GC at 1M
//    pages and at the end. Goal: within 10 % of each other. Typed arrays (the de-duplication
//    digests) live outside the JS heap: `arrayBuffers` is printed beside the heap, honestly, and
//    the chain runs twice: remembering every key (~32 B each, grows), and a bounded window
//    (BENCH_CHAIN_DEDUPE=memory or =window runs one: a 10M chain takes ~15 minutes at load 1).
// 2. A fan-out of BENCH_FANOUT next tasks (default 1,000,000) from one page, as a generator:
//    the longest event-loop stall (perf_hooks monitorEventLoopDelay) and the peak heap, sampled
//    on every page. Goals: no stall over 50 ms, peak heap < 100 MB.
// 3. The same chain and fan-out (BENCH_REDIS_PAGES each, default 200,000) de-duplicated in Redis
//    (`RedisSeenKeys`, REDIS_URL): pages/s, heap, and the bytes a key costs in Redis.
// Each measure is taken BENCH_RUNS times (default 3); medians are reported, with the load
// average: on a shared machine a wall-clock stall measures its scheduler as much as the crawl, so
// the CPU time spent between two turns of the event loop is reported beside it (the main
// thread's own, from Linux's schedstat, and the process's), the longest gap split into the main
// thread's run and its wait for a core, and what a plain CPU-bound loop suffers here (noise).
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ackAfter, crawl, crawlFrom, RedisSeenKeys } from '@capital/core';
import { lastValueFrom, of, tap } from 'rxjs';
import { median } from './support/stats.mjs';
import { busyLoopStall, startTurnProbe } from './support/turn-probe.mjs';

// ioredis is a dependency of @capital/core, not of the workspace root.
const { Redis } = createRequire(new URL('../packages/core/package.json', import.meta.url))('ioredis');

const MB = 1024 * 1024;
const chainPages = Number(process.env.BENCH_CHAIN_PAGES ?? 10_000_000);
const fanOut = Number(process.env.BENCH_FANOUT ?? 1_000_000);
const checkpointAt = Math.min(1_000_000, chainPages);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const redisPages = Number(process.env.BENCH_REDIS_PAGES ?? 200_000);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// BENCH_CHAIN_DEDUPE=memory or =window runs one of the two chains (each 10M run takes minutes).
const chainDedupes = [
  ['memory', 'memory'],
  ['window', { maxKeys: 1_000_000 }],
]
  .filter(([name]) => (process.env.BENCH_CHAIN_DEDUPE ?? 'memory,window').split(',').includes(name))
  .map(([, dedupe]) => dedupe);

if (typeof globalThis.gc !== 'function') {
  console.error('crawl-scale needs --expose-gc');
  process.exit(2);
}

function memoryAfterGc() {
  globalThis.gc();
  const usage = process.memoryUsage();
  return { heapMb: usage.heapUsed / MB, arrayBuffersMb: usage.arrayBuffers / MB, rssMb: usage.rss / MB };
}

async function chain(dedupe, length = chainPages, label = undefined) {
  const markAt = Math.min(checkpointAt, length);
  const handler = async (task) => ({
    task,
    data: [task.page],
    nextTasks: task.page + 1 < length ? [{ type: 'bench.cursor', page: task.page + 1 }] : [],
  });
  const marks = [];
  let pages = 0;
  const started = performance.now();
  await lastValueFrom(
    of({ type: 'bench.cursor', page: 0 }).pipe(
      crawl(handler, { concurrency: 1, buffer: 0, retry: false, dedupe }),
      tap((page) => {
        pages += 1;
        page.ack();
        if (pages === markAt || pages === length) marks.push({ pages, ...memoryAfterGc() });
      }),
    ),
    { defaultValue: undefined },
  );
  const seconds = (performance.now() - started) / 1000;
  const [first, last] = [marks[0], marks.at(-1)];
  return {
    dedupe: label ?? (typeof dedupe === 'string' ? dedupe : `maxKeys ${dedupe.maxKeys}`),
    pages,
    pagesPerSecond: Math.round(pages / seconds),
    heapAt1MMb: +first.heapMb.toFixed(1),
    heapAtEndMb: +last.heapMb.toFixed(1),
    heapGrowth: +(last.heapMb / first.heapMb).toFixed(3),
    arrayBuffersAt1MMb: +first.arrayBuffersMb.toFixed(1),
    arrayBuffersAtEndMb: +last.arrayBuffersMb.toFixed(1),
  };
}

async function fan(size = fanOut, dedupe = 'memory') {
  function* children() {
    for (let page = 1; page <= size; page += 1) yield { type: 'bench.fan', page };
  }
  const handler = async (task) => ({ task, data: [task.page], nextTasks: task.page === 0 ? children() : [] });
  globalThis.gc();
  const baseHeap = process.memoryUsage().heapUsed;
  let peakHeap = baseHeap;
  let pages = 0;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // On a machine shared by busy processes the wall-clock stalls above measure its scheduler as
  // much as the crawl: also measure the CPU time spent between two turns of the event loop (the
  // process's, GC helper threads included, and the main thread's own).
  const probe = startTurnProbe();
  const started = performance.now();
  await lastValueFrom(
    crawlFrom([{ type: 'bench.fan', page: 0 }], handler, {
      concurrency: 8,
      buffer: 16,
      retry: false,
      dedupe,
    }).pipe(
      ackAfter(async () => {
        pages += 1;
        if (pages % 1000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }),
    ),
    { defaultValue: undefined },
  );
  delay.disable();
  const turns = probe.stop();
  const seconds = (performance.now() - started) / 1000;
  return {
    maxCpuBetweenTurnsMs: turns.maxCpuBetweenTurnsMs,
    maxMainCpuBetweenTurnsMs: turns.maxMainCpuBetweenTurnsMs ?? null,
    longestGap: turns.longestTurnGap,
    pages,
    pagesPerSecond: Math.round(pages / seconds),
    maxStallMs: +(delay.max / 1e6).toFixed(1),
    p99StallMs: +(delay.percentile(99) / 1e6).toFixed(1),
    peakHeapMb: +(peakHeap / MB).toFixed(1),
    arrayBuffersAtEndMb: +(process.memoryUsage().arrayBuffers / MB).toFixed(1),
  };
}

/** The longest stall of an idle second: what the busy machine alone costs (noise). */
async function idleStallMs() {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  delay.disable();
  return +(delay.max / 1e6).toFixed(1);
}

/** The medians of each numeric field over rows measured alike. */
function medianRow(rows) {
  const out = { ...rows[0] };
  for (const [key, value] of Object.entries(rows[0])) {
    if (typeof value === 'number') out[key] = +median(rows.map((row) => row[key])).toFixed(3);
  }
  return out;
}

async function repeat(measure) {
  const rows = [];
  for (let run = 0; run < runs; run += 1) rows.push(await measure());
  return { ...medianRow(rows), all: rows };
}

/** The chain and the fan-out de-duplicated in Redis, and what a key costs there. */
async function viaRedis() {
  const redis = new Redis(redisUrl);
  try {
    const measure = async (what) => {
      const name = `capital-bench:seen:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
      const store = new RedisSeenKeys(redis, { name });
      try {
        const row = what === 'chain' ? await chain(store, redisPages, 'redis') : await fan(redisPages, store);
        let bytes = 0;
        let keys = 0;
        let cursor = '0';
        do {
          const [next, found] = await redis.scan(cursor, 'MATCH', `{${name}}:*`, 'COUNT', 1000);
          const pipeline = redis.pipeline();
          for (const key of found) pipeline.memory('USAGE', key);
          for (const [, value] of (await pipeline.exec()) ?? []) bytes += Number(value ?? 0);
          keys += found.length;
          cursor = next;
        } while (cursor !== '0');
        return { ...row, redisBytesPerKey: +(bytes / redisPages).toFixed(1), redisBuckets: keys };
      } finally {
        await store.clear();
      }
    };
    return { chain: await repeat(() => measure('chain')), fan: await repeat(() => measure('fan')) };
  } finally {
    await redis.quit();
  }
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
const pad = (value, width) => String(value).padStart(width);

export async function main() {
  const loadAtStart = load();
  const idle = medianRow(
    await Promise.all([idleStallMs()]).then(async (first) => {
      const rest = [];
      for (let run = 1; run < runs; run += 1) rest.push(await idleStallMs());
      return [...first, ...rest].map((ms) => ({ ms }));
    }),
  ).ms;
  console.log(
    `crawl scale (medians of ${runs} runs; load average at start ${loadAtStart}; an idle second stalls up to ${idle} ms here)`,
  );
  console.log(`a ${chainPages.toLocaleString('en')}-page cursor chain, heap after GC (MB):`);
  console.log('  dedupe           pages/s  heap@1M  heap@end  growth  arrayBuffers@1M  arrayBuffers@end');
  const chains = [];
  // Each row as soon as it is measured: the whole takes minutes.
  for (const dedupe of chainDedupes) {
    const row = await repeat(() => chain(dedupe));
    chains.push(row);
    console.log(
      `  ${row.dedupe.padEnd(15)} ${pad(row.pagesPerSecond, 8)}  ${pad(row.heapAt1MMb, 7)}  ${pad(row.heapAtEndMb, 8)}  ${row.heapGrowth.toFixed(3).padStart(6)}×  ${pad(row.arrayBuffersAt1MMb, 15)}  ${pad(row.arrayBuffersAtEndMb, 16)}`,
    );
  }
  // Each fan-out beside what the machine alone does to a CPU-bound loop, measured right after it.
  // Each fan-out beside what the machine alone does to a CPU-bound loop, measured right after it
  // for as long (at most 30 s): the longer the window, the longer its worst stall.
  const fanned = await repeat(async () => {
    const row = await fan();
    const seconds = row.pages / row.pagesPerSecond;
    return { ...row, busyLoopStallMs: (await busyLoopStall(Math.min(30_000, seconds * 1000))).maxStallMs };
  });
  const runsOf = (field) => fanned.all.map((row) => row[field]).join(', ');
  const gap = fanned.all.map((row) => row.longestGap).sort((a, b) => b.wallMs - a.wallMs)[0];
  console.log(
    `a fan-out of ${fanOut.toLocaleString('en')} next tasks (a generator): ${fanned.pagesPerSecond} pages/s, peak heap ${fanned.peakHeapMb} MB, arrayBuffers ${fanned.arrayBuffersAtEndMb} MB`,
  );
  console.log(
    `  longest stall ${fanned.maxStallMs} ms (runs: ${runsOf('maxStallMs')}), p99 ${fanned.p99StallMs} ms; a CPU-bound loop yielding every 4 ms as long stalls up to ${fanned.busyLoopStallMs} ms here (runs: ${runsOf('busyLoopStallMs')})`,
  );
  console.log(
    `  CPU between two turns at most: main thread ${fanned.maxMainCpuBetweenTurnsMs ?? 'n/a (not Linux)'} ms (runs: ${runsOf('maxMainCpuBetweenTurnsMs')}), process (GC helper threads too) ${fanned.maxCpuBetweenTurnsMs} ms (runs: ${runsOf('maxCpuBetweenTurnsMs')})`,
  );
  if (gap.mainRunMs !== undefined) {
    console.log(
      `  the longest gap between two turns, ${gap.wallMs} ms: the main thread ran ${gap.mainRunMs} ms, waited ${gap.runQueueMs} ms for a core, ${gap.otherMs} ms else (GC helpers, kernel)`,
    );
  }
  let redis;
  if (redisPages > 0) {
    redis = await viaRedis();
    console.log(`de-duplicated in Redis (RedisSeenKeys, ${redisPages.toLocaleString('en')} tasks):`);
    console.log(
      `  chain:   ${redis.chain.pagesPerSecond} pages/s (a round trip a page), heap@end ${redis.chain.heapAtEndMb} MB, arrayBuffers ${redis.chain.arrayBuffersAtEndMb} MB, Redis ${redis.chain.redisBytesPerKey} B a key (${redis.chain.redisBuckets} buckets)`,
    );
    console.log(
      `  fan-out: ${redis.fan.pagesPerSecond} pages/s (256 claims a round trip), longest stall ${redis.fan.maxStallMs} ms, CPU between turns ≤ ${redis.fan.maxCpuBetweenTurnsMs} ms, peak heap ${redis.fan.peakHeapMb} MB, Redis ${redis.fan.redisBytesPerKey} B a key`,
    );
  }
  const goals = [
    ...chains.map((row) => [
      `chain heap at the end within 10 % of heap at 1M (${row.dedupe})`,
      `${row.heapGrowth}×`,
      row.heapGrowth <= 1.1,
    ]),
    [
      'fan-out: no event-loop stall over 50 ms (wall clock)',
      `${fanned.maxStallMs} ms`,
      fanned.maxStallMs <= 50,
    ],
    fanned.maxMainCpuBetweenTurnsMs === null
      ? [
          'fan-out: no more than 50 ms of CPU between two turns (process)',
          `${fanned.maxCpuBetweenTurnsMs} ms`,
          fanned.maxCpuBetweenTurnsMs <= 50,
        ]
      : [
          'fan-out: no more than 50 ms of main-thread CPU between two turns',
          `${fanned.maxMainCpuBetweenTurnsMs} ms`,
          fanned.maxMainCpuBetweenTurnsMs <= 50,
        ],
    ['fan-out: peak heap < 100 MB', `${fanned.peakHeapMb} MB`, fanned.peakHeapMb < 100],
  ];
  console.log(`goals (medians; load average at the end ${load()}):`);
  for (const [goal, value, met] of goals)
    console.log(`  ${goal.padEnd(62)} ${value.padStart(10)}  ${met ? 'met' : 'MISSED'}`);
  return { chains, fanOut: fanned, redis, idleStallMs: idle, loadAtStart, loadAtEnd: load() };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
