// Pages per second through Capital (the `runConnector` that `capital run` executes) against the
// emulator, with limits off, beside a minimal hand-written loop (ky + a file stream) at the same
// concurrency, in the same run. The emulator runs in a child process. Each figure is the median
// of several runs. Goals: ≥ 0.9× the hand loop at concurrency 1; ≥ 5× concurrency 1 at
// concurrency 8 with 20 ms latency.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConnector } from '@capital/cli';
import { createCredentialResolver } from '@capital/core';
import { FileSink } from '@capital/sinks';
import { connector } from '@capital/wtd-connector';
import ky from 'ky';
import { startChildEmulator } from './support/child-emulator.mjs';
import { median } from './support/stats.mjs';

const searchTerm = 'inc';
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const latencies = (process.env.BENCH_LATENCIES ?? '0,20').split(',').map(Number);
const concurrencies = (process.env.BENCH_CONCURRENCIES ?? '1,8').split(',').map(Number);

async function viaCapital(url, concurrency, file) {
  const started = performance.now();
  const summary = await runConnector({
    connector,
    params: { search: searchTerm },
    sink: new FileSink({ path: file, recordKey: (record) => record.symbol }),
    baseUrl: url,
    resolveCredential: createCredentialResolver({}, { WTD_API_TOKEN: 'bench' }),
    concurrency,
  });
  return summary.pagesFetched / ((performance.now() - started) / 1000);
}

/**
 * What a developer would write by hand: fetch page 1, then the rest with N workers. To be a fair
 * baseline it does the same work to the same file: every record with the same provenance fields
 * (`_task_key` a SHA-256 of the page's request, `_page`, `_fetched_at`, `_record_key`), written to
 * a temporary file that is fsynced and renamed into place on close, inside the clock as the file
 * sink's are. (It does not validate the API's answers, as Capital does.)
 */
async function viaHandLoop(url, concurrency, file) {
  const started = performance.now();
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const fetchPage = (page) =>
    ky
      .get('api/v1/stock_search', {
        prefixUrl: url,
        searchParams: { search_term: searchTerm, limit: 50, page, api_token: 'bench' },
        retry: 2,
      })
      .json();
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
  return first.total_pages / ((performance.now() - started) / 1000);
}

export async function main() {
  const folder = await mkdtemp(join(tmpdir(), 'capital-bench-wtd-'));
  const rows = [];
  try {
    for (const latencyMs of latencies) {
      const emulator = await startChildEmulator(latencyMs);
      try {
        for (const concurrency of concurrencies) {
          const capital = [];
          const hand = [];
          for (let run = 0; run < repeats; run += 1) {
            // Alternate the order so that warm-up and noise fall on both sides alike.
            if (run % 2 === 0) {
              capital.push(await viaCapital(emulator.url, concurrency, join(folder, 'capital.ndjson')));
              hand.push(await viaHandLoop(emulator.url, concurrency, join(folder, 'hand.ndjson')));
            } else {
              hand.push(await viaHandLoop(emulator.url, concurrency, join(folder, 'hand.ndjson')));
              capital.push(await viaCapital(emulator.url, concurrency, join(folder, 'capital.ndjson')));
            }
          }
          rows.push({ latencyMs, concurrency, capital: median(capital), hand: median(hand) });
        }
      } finally {
        await emulator.stop();
      }
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  console.log(`wtd throughput (pages/s, median of ${repeats}; search "${searchTerm}", limits off):`);
  console.log('  latency  concurrency  capital   hand loop  capital/hand');
  for (const row of rows) {
    console.log(
      `  ${String(row.latencyMs).padStart(4)} ms  ${String(row.concurrency).padStart(11)}  ${row.capital.toFixed(0).padStart(7)}  ${row.hand.toFixed(0).padStart(10)}  ${(row.capital / row.hand).toFixed(2).padStart(11)}×`,
    );
  }
  const at = (latencyMs, concurrency) =>
    rows.find((row) => row.latencyMs === latencyMs && row.concurrency === concurrency);
  const ratio = (row) => (row ? row.capital / row.hand : Number.NaN);
  const goal = (label, value, met) =>
    Number.isNaN(value) ? '' : `${label}: ${value.toFixed(2)}× (${met(value) ? 'met' : 'MISSED'})`;
  const c1 = Math.min(ratio(at(0, 1)), ratio(at(20, 1)));
  const c8At0 = ratio(at(0, 8));
  const at20 = Math.min(ratio(at(20, 1)), ratio(at(20, 8)));
  const speedup = at(20, 8) && at(20, 1) ? at(20, 8).capital / at(20, 1).capital : Number.NaN;
  const goals = [
    goal('goal ≥ 0.9× the hand loop at concurrency 1', c1, (value) => value >= 0.9),
    goal('goal ≥ 0.9× at 0 ms, concurrency 8', c8At0, (value) => value >= 0.9),
    goal('goal ≥ 0.97× at 20 ms', at20, (value) => value >= 0.97),
    goal('goal ≥ 5× at concurrency 8 vs 1 with 20 ms', speedup, (value) => value >= 5),
  ].filter(Boolean);
  console.log(`  ${goals.join('; ')}`);
  console.log('  noise: the machine is shared; run-to-run spread of single runs is often ±15 %.');
  return { rows, ratioAtConcurrency1: c1, speedup8vs1At20ms: speedup };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
