// Many small pages through `crawl` with a consumer that acknowledges at once, so that nothing but
// the crawl's own bookkeeping can grow. Run with --expose-gc (bench/run.mjs does).
// 1. A cursor chain of BENCH_CHAIN_PAGES pages (default 10,000,000): heap after a full GC at 1M
//    pages and at the end. Goal: within 10 % of each other. Typed arrays (the de-duplication
//    digests) live outside the JS heap: `arrayBuffers` is printed beside the heap, honestly, and
//    the chain runs twice: remembering every key (~32 B each, grows), and a bounded window.
// 2. A fan-out of BENCH_FANOUT next tasks (default 1,000,000) from one page, as a generator:
//    the longest event-loop stall (perf_hooks monitorEventLoopDelay) and the peak heap, sampled
//    on every page. Goals: no stall over 50 ms, peak heap < 100 MB.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ackAfter, crawl, crawlFrom } from '@capital/core';
import { lastValueFrom, of, tap } from 'rxjs';

const MB = 1024 * 1024;
const chainPages = Number(process.env.BENCH_CHAIN_PAGES ?? 10_000_000);
const fanOut = Number(process.env.BENCH_FANOUT ?? 1_000_000);
const checkpointAt = Math.min(1_000_000, chainPages);

if (typeof globalThis.gc !== 'function') {
  console.error('crawl-scale needs --expose-gc');
  process.exit(2);
}

function memoryAfterGc() {
  globalThis.gc();
  const usage = process.memoryUsage();
  return { heapMb: usage.heapUsed / MB, arrayBuffersMb: usage.arrayBuffers / MB, rssMb: usage.rss / MB };
}

async function chain(dedupe) {
  const handler = async (task) => ({
    task,
    data: [task.page],
    nextTasks: task.page + 1 < chainPages ? [{ type: 'bench.cursor', page: task.page + 1 }] : [],
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
        if (pages === checkpointAt || pages === chainPages) marks.push({ pages, ...memoryAfterGc() });
      }),
    ),
    { defaultValue: undefined },
  );
  const seconds = (performance.now() - started) / 1000;
  const [first, last] = [marks[0], marks.at(-1)];
  return {
    dedupe: typeof dedupe === 'string' ? dedupe : `maxKeys ${dedupe.maxKeys}`,
    pages,
    pagesPerSecond: Math.round(pages / seconds),
    heapAt1MMb: +first.heapMb.toFixed(1),
    heapAtEndMb: +last.heapMb.toFixed(1),
    heapGrowth: +(last.heapMb / first.heapMb).toFixed(3),
    arrayBuffersAt1MMb: +first.arrayBuffersMb.toFixed(1),
    arrayBuffersAtEndMb: +last.arrayBuffersMb.toFixed(1),
  };
}

async function fan() {
  function* children() {
    for (let page = 1; page <= fanOut; page += 1) yield { type: 'bench.fan', page };
  }
  const handler = async (task) => ({ task, data: [task.page], nextTasks: task.page === 0 ? children() : [] });
  globalThis.gc();
  const baseHeap = process.memoryUsage().heapUsed;
  let peakHeap = baseHeap;
  let pages = 0;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // On a machine shared by busy processes the wall-clock stalls above measure its scheduler as
  // much as the crawl: also measure the CPU time (all of the process's threads, GC included)
  // spent between two turns of the event loop.
  let probing = true;
  let maxCpuMs = 0;
  let last = process.cpuUsage();
  const probe = () => {
    const now = process.cpuUsage();
    maxCpuMs = Math.max(maxCpuMs, (now.user + now.system - last.user - last.system) / 1000);
    last = now;
    if (probing) setImmediate(probe);
  };
  setImmediate(probe);
  const started = performance.now();
  await lastValueFrom(
    crawlFrom([{ type: 'bench.fan', page: 0 }], handler, { concurrency: 8, buffer: 16, retry: false }).pipe(
      ackAfter(async () => {
        pages += 1;
        if (pages % 1000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }),
    ),
    { defaultValue: undefined },
  );
  delay.disable();
  probing = false;
  const seconds = (performance.now() - started) / 1000;
  return {
    maxCpuBetweenTurnsMs: +maxCpuMs.toFixed(1),
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

export async function main() {
  const idle = await idleStallMs();
  const chains = [];
  console.log(`crawl scale: a ${chainPages.toLocaleString('en')}-page cursor chain, heap after GC (MB):`);
  console.log('  dedupe           pages/s  heap@1M  heap@end  growth  arrayBuffers@1M  arrayBuffers@end');
  // Each row as soon as it is measured: the whole takes minutes.
  for (const dedupe of ['memory', { maxKeys: 1_000_000 }]) {
    const row = await chain(dedupe);
    chains.push(row);
    console.log(
      `  ${row.dedupe.padEnd(15)} ${String(row.pagesPerSecond).padStart(8)}  ${String(row.heapAt1MMb).padStart(7)}  ${String(row.heapAtEndMb).padStart(8)}  ${row.heapGrowth.toFixed(3).padStart(6)}×  ${String(row.arrayBuffersAt1MMb).padStart(15)}  ${String(row.arrayBuffersAtEndMb).padStart(16)}`,
    );
  }
  const fanned = await fan();
  const flat = chains.every((row) => row.heapGrowth <= 1.1);
  console.log(
    `  goal heap at the end within 10 % of heap at 1M: ${flat ? 'met' : 'MISSED'} (JS heap; see arrayBuffers)`,
  );
  console.log(
    `fan-out of ${fanOut.toLocaleString('en')} next tasks (a generator): ${fanned.pagesPerSecond} pages/s, longest stall ${fanned.maxStallMs} ms (p99 ${fanned.p99StallMs} ms; an idle second here stalls up to ${idle} ms; at most ${fanned.maxCpuBetweenTurnsMs} ms of CPU between two turns), peak heap ${fanned.peakHeapMb} MB, arrayBuffers ${fanned.arrayBuffersAtEndMb} MB; ` +
      `goal no stall over 50 ms: ${fanned.maxStallMs <= 50 ? 'met' : 'MISSED'}, peak heap < 100 MB: ${fanned.peakHeapMb < 100 ? 'met' : 'MISSED'}`,
  );
  return { chains, fanOut: fanned, idleStallMs: idle };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
