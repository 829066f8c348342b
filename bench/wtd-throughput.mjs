// Pages per second through Capital (the `runConnector` that `capital run` executes, writing to a
// FileSink) against the emulator, with limits off, beside a hand-written loop (ky + a file stream)
// that does the same file work at the same concurrency, in the same run. The emulator runs in a
// child process. Runs of the two sides alternate in pairs, one order then the other (ABBA), so
// that warm-up, drift and the machine's load fall on both alike; each figure is the median of
// BENCH_REPEATS runs, and the spread of one side's runs (max/min − 1) is printed as the noise.
// Goals are judged on the median of the pairs' ratios, with their interquartile range beside it:
// a goal missed by less than that range is said to be missed within noise.
// Each side's client CPU per page (user + system, from process.cpuUsage) is printed too: on a
// busy machine it moves less than pages per second. Goals: ≥ 0.9× the hand loop at 0 ms latency
// and concurrency 8 (and at concurrency 1); ≥ 0.97× at 20 ms; ≥ 5× concurrency 1 at concurrency
// 8 with 20 ms latency. The hand loop writes its URL by hand, as Capital's WTD client does;
// BENCH_HAND=searchParams gives ky the query as `searchParams` instead, as ky's docs show it,
// from which ky builds three Requests a page, not one: a loop weaker than Capital's client.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConnector } from '@capital/cli';
import { createCredentialResolver } from '@capital/core';
import { FileSink } from '@capital/sinks';
import { connector } from '@capital/wtd-connector';
import ky from 'ky';
import { startChildEmulator } from './support/child-emulator.mjs';
import { median, quantile } from './support/stats.mjs';

const searchTerm = 'inc';
const repeats = Number(process.env.BENCH_REPEATS ?? 8);
const latencies = (process.env.BENCH_LATENCIES ?? '0,20').split(',').map(Number);
const concurrencies = (process.env.BENCH_CONCURRENCIES ?? '1,8').split(',').map(Number);
const handOptions = { kyQuery: process.env.BENCH_HAND === 'searchParams' };

export async function viaCapital(url, concurrency, file) {
  const summary = await runConnector({
    connector,
    params: { search: searchTerm },
    sink: new FileSink({ path: file, recordKey: (record) => record.symbol }),
    baseUrl: url,
    resolveCredential: createCredentialResolver({}, { WTD_API_TOKEN: 'bench' }),
    concurrency,
  });
  return summary.pagesFetched;
}

/**
 * What a developer would write by hand: fetch page 1, then the rest with N workers. To be a fair
 * baseline it does the same work to the same file: every record with the same provenance fields
 * (`_task_key` a SHA-256 of the page's request, `_page`, `_fetched_at`, `_record_key`), written to
 * a temporary file that is fsynced and renamed into place on close, inside the clock as the file
 * sink's are: its file has the same bytes but for the keys' hex. It does not validate the API's
 * answers, nor keep the run ledger the file sink keeps beside the file (two small fsynced writes
 * per run, what makes a run resumable): Capital does, inside its clock.
 */
export async function viaHandLoop(url, concurrency, file, { kyQuery = false } = {}) {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  // The query written into the URL, as Capital's WTD client writes it; with `kyQuery`, given to
  // ky as `searchParams` instead (from which ky builds two more Requests a page).
  const query = (page) =>
    `search_term=${encodeURIComponent(searchTerm)}&limit=50&page=${page}&api_token=bench`;
  const fetchPage = (page) =>
    (kyQuery
      ? ky.get('api/v1/stock_search', {
          prefixUrl: url,
          searchParams: { search_term: searchTerm, limit: 50, page, api_token: 'bench' },
          retry: 2,
        })
      : ky.get(`${url}/api/v1/stock_search?${query(page)}`, { retry: 2 })
    ).json();
  const write = (body, page) => {
    const key = createHash('sha256')
      .update(JSON.stringify({ limit: 50, page, search_term: searchTerm, type: 'wtd.stock_search' }))
      .digest('hex');
    const suffix = `"_task_key":${JSON.stringify(key)},"_page":${page},"_fetched_at":${JSON.stringify(new Date().toISOString())}`;
    let text = '';
    for (const record of body.data) {
      const json = JSON.stringify(record);
      text += `${json.slice(0, -1)},${suffix},"_record_key":${JSON.stringify(record.symbol)}}\n`;
    }
    return new Promise((resolve) => out.write(text, resolve));
  };
  const first = await fetchPage(1);
  await write(first, 1);
  let next = 2;
  const worker = async () => {
    while (next <= first.total_pages) {
      const page = next++;
      await write(await fetchPage(page), page);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await new Promise((resolve) => out.end(resolve));
  const handle = await open(partial, 'r');
  await handle.sync();
  await handle.close();
  await rename(partial, file);
  return first.total_pages;
}

/** One run of one side: its pages per second and the client's CPU time per page, in µs. */
async function measure(side, url, concurrency, file) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const pages = await side(url, concurrency, file);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: pages / seconds, cpuPerPage: (used.user + used.system) / pages };
}

const spread = (values) => Math.max(...values) / Math.min(...values) - 1;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

export async function main() {
  const folder = await mkdtemp(join(tmpdir(), 'capital-bench-wtd-'));
  const rows = [];
  const loadBefore = load();
  try {
    for (const latencyMs of latencies) {
      const emulator = await startChildEmulator(latencyMs);
      try {
        for (const concurrency of concurrencies) {
          const capitalRun = () =>
            measure(viaCapital, emulator.url, concurrency, join(folder, 'capital.ndjson'));
          const handLoop = (url, n, file) => viaHandLoop(url, n, file, handOptions);
          const handRun = () => measure(handLoop, emulator.url, concurrency, join(folder, 'hand.ndjson'));
          // Warm-up, not counted: the first run of each side pays for connections and JIT.
          await capitalRun();
          await handRun();
          const capital = [];
          const hand = [];
          for (let run = 0; run < repeats; run += 1) {
            if (run % 2 === 0) {
              capital.push(await capitalRun());
              hand.push(await handRun());
            } else {
              hand.push(await handRun());
              capital.push(await capitalRun());
            }
          }
          const rates = (runs) => runs.map((one) => one.perSecond);
          rows.push({
            latencyMs,
            concurrency,
            capital: median(rates(capital)),
            hand: median(rates(hand)),
            pairRatios: capital.map((one, index) => one.perSecond / hand[index].perSecond),
            capitalSpread: spread(rates(capital)),
            handSpread: spread(rates(hand)),
            capitalCpu: median(capital.map((one) => one.cpuPerPage)),
            handCpu: median(hand.map((one) => one.cpuPerPage)),
          });
        }
      } finally {
        await emulator.stop();
      }
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  console.log(
    `wtd throughput (pages/s, median of ${repeats} runs per side, ABBA; search "${searchTerm}", limits off; ` +
      `load average ${loadBefore} before, ${load()} after, on ${cpus().length} cores` +
      `${handOptions.kyQuery ? '; the hand loop gives ky its query as searchParams' : ''}):`,
  );
  console.log(
    '  latency  concurrency  capital   hand loop  capital/hand  (median of pairs)  spread capital  hand  CPU µs/page capital  hand  capital/hand',
  );
  for (const row of rows) {
    console.log(
      `  ${String(row.latencyMs).padStart(4)} ms  ${String(row.concurrency).padStart(11)}  ${row.capital.toFixed(0).padStart(7)}` +
        `  ${row.hand.toFixed(0).padStart(10)}  ${(row.capital / row.hand).toFixed(2).padStart(11)}×` +
        `  ${median(row.pairRatios).toFixed(2).padStart(16)}×  ${percent(row.capitalSpread).padStart(14)}  ${percent(row.handSpread).padStart(4)}` +
        `  ${row.capitalCpu.toFixed(0).padStart(19)}  ${row.handCpu.toFixed(0).padStart(4)}` +
        `  ${(row.capitalCpu / row.handCpu).toFixed(2).padStart(11)}×`,
    );
  }
  const at = (latencyMs, concurrency) =>
    rows.find((row) => row.latencyMs === latencyMs && row.concurrency === concurrency);
  // A goal is judged on the median of the ABBA pairs' ratios (each pair ran back to back, so the
  // machine's load fell on both alike); their interquartile range is the noise of that median.
  const ratio = (row) => (row ? median(row.pairRatios) : Number.NaN);
  const goal = (label, rowsOfGoal, min) => {
    const found = rowsOfGoal.filter(Boolean);
    if (found.length === 0) return '';
    // Of several rows (concurrency 1 at 0 and 20 ms), the worst is the one judged.
    const row = found.reduce((worst, one) => (ratio(one) < ratio(worst) ? one : worst));
    const value = ratio(row);
    const low = quantile(row.pairRatios, 0.25);
    const high = quantile(row.pairRatios, 0.75);
    const verdict = value >= min ? 'met' : high >= min ? 'MISSED, within noise' : 'MISSED';
    return (
      `${label}: ${value.toFixed(2)}× (median of ${row.pairRatios.length} pairs, interquartile ` +
      `${low.toFixed(2)}–${high.toFixed(2)}×; ${verdict})`
    );
  };
  const speedup = at(20, 8) && at(20, 1) ? at(20, 8).capital / at(20, 1).capital : Number.NaN;
  const c1 = Math.min(ratio(at(0, 1)), ratio(at(20, 1)));
  const goals = [
    goal('goal ≥ 0.9× the hand loop at concurrency 1', [at(0, 1), at(20, 1)], 0.9),
    goal('goal ≥ 0.9× at 0 ms, concurrency 8', [at(0, 8)], 0.9),
    goal('goal ≥ 0.97× at 20 ms', [at(20, 1), at(20, 8)], 0.97),
    Number.isNaN(speedup)
      ? ''
      : `goal ≥ 5× at concurrency 8 vs 1 with 20 ms: ${speedup.toFixed(2)}× (${speedup >= 5 ? 'met' : 'MISSED'})`,
  ].filter(Boolean);
  for (const line of goals) console.log(`  ${line}`);
  console.log(
    '  noise: "spread" is max/min − 1 of one side\'s runs; a goal is judged on the median of the pairs\' ratios, ' +
      'and "within noise" when the upper quartile of those ratios reaches it.',
  );
  return { rows, ratioAtConcurrency1: c1, speedup8vs1At20ms: speedup };
}

function percent(value) {
  return `${(value * 100).toFixed(0)} %`;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
