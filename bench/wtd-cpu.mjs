// CPU per page of the sides of `wtd-throughput` (Capital's `runConnector` to a FileSink, and
// the hand-written ky loop writing the same bytes, fsynced alike), with the network taken out:
// `fetch` answers from memory with the bytes and headers the emulator served for each page, so
// what is left is each side's own work per page, which a shared machine's load moves far less
// than pages per second. Runs alternate in one process (each run takes the sides in another
// order), concurrency 8; each figure is the median of BENCH_REPEATS runs per side. Capital's
// overhead is its CPU per page less the loop's. A third side is the same loop giving ky its query
// as `searchParams` rather than writing its URL by hand as Capital's WTD client does: ky then
// builds three Requests a page, not one, which would count in Capital's favour.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '@capital/wtd-connector/testing';
import { median } from './support/stats.mjs';
import { viaCapital, viaHandLoop } from './wtd-throughput.mjs';

const repeats = Number(process.env.BENCH_REPEATS ?? 40);
const concurrency = 8;

/** Every page of the search as the emulator answers it: status, headers and body bytes. */
async function recordAnswers(url) {
  const answers = new Map();
  const fetchPage = async (page) => {
    const response = await fetch(
      `${url}/api/v1/stock_search?search_term=inc&limit=50&page=${page}&api_token=bench`,
    );
    const body = Buffer.from(await response.arrayBuffer());
    answers.set(page, { status: response.status, headers: [...response.headers], body });
    return JSON.parse(body.toString('utf8'));
  };
  const first = await fetchPage(1);
  for (let page = 2; page <= first.total_pages; page += 1) await fetchPage(page);
  return answers;
}

/** `fetch` answering from the recorded pages, a turn of the event loop later, as a socket would. */
function replaying(answers) {
  return async (input) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const answer = answers.get(Number(url.searchParams.get('page')));
    await new Promise((resolve) => setImmediate(resolve));
    if (answer === undefined) return new Response('{"Message":"no such page"}', { status: 404 });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
}

export async function main() {
  const emulator = await startEmulator({ tokens: ['bench'], rateLimit: false });
  let answers;
  try {
    answers = await recordAnswers(emulator.url);
  } finally {
    await emulator.close();
  }
  const folder = await mkdtemp(join(tmpdir(), 'capital-bench-wtd-cpu-'));
  const realFetch = globalThis.fetch;
  globalThis.fetch = replaying(answers);
  // Nothing listens there: a request that escaped the replay would fail the run.
  const url = 'http://127.0.0.1:9';
  const sides = {
    capital: (file) => viaCapital(url, concurrency, file),
    hand: (file) => viaHandLoop(url, concurrency, file),
    handKyQuery: (file) => viaHandLoop(url, concurrency, file, { kyQuery: true }),
  };
  const cpu = { capital: [], hand: [], handKyQuery: [] };
  // Each run takes the sides in another order of the six, so none is always first or last.
  const orders = [
    ['capital', 'hand', 'handKyQuery'],
    ['hand', 'handKyQuery', 'capital'],
    ['handKyQuery', 'capital', 'hand'],
    ['capital', 'handKyQuery', 'hand'],
    ['handKyQuery', 'hand', 'capital'],
    ['hand', 'capital', 'handKyQuery'],
  ];
  try {
    // Warm-up, not counted: JIT, first file creations.
    for (let run = 0; run < 5; run += 1) {
      for (const side of orders[0]) await sides[side](join(folder, `${side}.ndjson`));
    }
    for (let run = 0; run < repeats; run += 1) {
      for (const side of orders[run % orders.length]) {
        const before = process.cpuUsage();
        const pages = await sides[side](join(folder, `${side}.ndjson`));
        const used = process.cpuUsage(before);
        cpu[side].push((used.user + used.system) / pages);
      }
    }
  } finally {
    globalThis.fetch = realFetch;
    await rm(folder, { recursive: true, force: true });
  }
  const capital = median(cpu.capital);
  const hand = median(cpu.hand);
  const handKyQuery = median(cpu.handKyQuery);
  console.log(
    `wtd cpu (no network: pages replayed from memory; search "inc", ${answers.size} pages, concurrency ${concurrency}, ` +
      `median of ${repeats} runs per side, orders rotated):`,
  );
  console.log(
    `  CPU µs/page: capital ${capital.toFixed(0)}, hand loop ${hand.toFixed(0)}, ` +
      `capital/hand ${(capital / hand).toFixed(2)}×, Capital's own ${(capital - hand).toFixed(0)} µs a page`,
  );
  console.log(
    `  against the hand loop giving ky its query as searchParams: ${handKyQuery.toFixed(0)} µs/page, ` +
      `capital/hand ${(capital / handKyQuery).toFixed(2)}×, Capital's own ${(capital - handKyQuery).toFixed(0)} µs a page`,
  );
  return { capital, hand, handKyQuery };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
