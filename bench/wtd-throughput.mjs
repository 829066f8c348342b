// Pages per second through Capital (the `runConnector` that `capital run` executes) against the
// emulator, with limits off, beside a minimal hand-written loop (ky + a file stream) at the same
// concurrency, in the same run. The emulator runs in a child process. Each figure is the median
// of several runs. Goals: ≥ 0.9× the hand loop at concurrency 1; ≥ 5× concurrency 1 at
// concurrency 8 with 20 ms latency.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
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

/** What a developer would write by hand: fetch page 1, then the rest with N workers. */
async function viaHandLoop(url, concurrency, file) {
  const started = performance.now();
  const out = createWriteStream(file);
  const fetchPage = (page) =>
    ky
      .get('api/v1/stock_search', {
        prefixUrl: url,
        searchParams: { search_term: searchTerm, limit: 50, page, api_token: 'bench' },
        retry: 2,
      })
      .json();
  const write = (body) =>
    new Promise((resolve) =>
      out.write(`${body.data.map((record) => JSON.stringify(record)).join('\n')}\n`, resolve),
    );
  const first = await fetchPage(1);
  await write(first);
  let next = 2;
  const worker = async () => {
    while (next <= first.total_pages) {
      const page = next++;
      await write(await fetchPage(page));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await new Promise((resolve) => out.end(resolve));
  return first.total_pages / ((performance.now() - started) / 1000);
}

export async function main() {
  const folder = await mkdtemp(join(tmpdir(), 'capital-bench-wtd-'));
  const rows = [];
  try {
    for (const latencyMs of [0, 20]) {
      const emulator = await startChildEmulator(latencyMs);
      try {
        for (const concurrency of [1, 8]) {
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
  const c1 = Math.min(at(0, 1).capital / at(0, 1).hand, at(20, 1).capital / at(20, 1).hand);
  const speedup = at(20, 8).capital / at(20, 1).capital;
  console.log(
    `  goal ≥ 0.9× the hand loop at concurrency 1: ${c1.toFixed(2)}× (${c1 >= 0.9 ? 'met' : 'MISSED'}); ` +
      `goal ≥ 5× at concurrency 8 vs 1 with 20 ms: ${speedup.toFixed(1)}× (${speedup >= 5 ? 'met' : 'MISSED'})`,
  );
  return { rows, ratioAtConcurrency1: c1, speedup8vs1At20ms: speedup };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
