// CPU time per page of the completeness check that `runConnector` puts around every handler
// (`checkCompleteness` and a fresh `CompletenessLedger` a run), without I/O: the 94 pages of 50
// listings the emulator serves for the search 'inc' (symbols such as 'AAPL', 'VOD.L'), then the
// same pages keyed by 14-character names. A run is the 94 pages through a new ledger, awaited in
// turn; a round is many runs, timed once through the check and once through the bare handler, and
// the check's cost is the difference, per page. Prints the median of BENCH_REPEATS rounds (and
// the spread), and the ledger alone (`check` + `record`).
//
// Two variants of each:
// - plain: the pages' records made once, so every run hands the check the same key strings, and
//   nothing between pages disturbs the caches (the check at its best);
// - churned: as in a real run, each page's handler parses a ~18 KB JSON body (fresh records, fresh
//   key strings) and serialises its 50 records as a sink would, so that between two checks the
//   young generation turns over and the CPU caches are cold. The check's cost is still the
//   difference with the same handler unchecked.
// BENCH_CORE=path/to/dist/index.js measures another build of @capital/core (one of main's, to
// compare): `node bench/completeness-cpu.mjs`. BENCH_VARIANTS=plain or churned runs only one.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { generateListings, searchListings } from '@capital/wtd-connector/testing';
import { median } from './support/stats.mjs';

const core = await import(
  process.env.BENCH_CORE === undefined ? '@capital/core' : pathToFileURL(process.env.BENCH_CORE).href
);
const { CompletenessLedger, checkCompleteness, taskKey } = core;
const repeats = Number(process.env.BENCH_REPEATS ?? 15);
const runsPerRound = Number(process.env.BENCH_RUNS ?? 200);
// A churned page costs ~10 times a plain one: fewer runs a round.
const churnedRunsPerRound = Number(process.env.BENCH_CHURNED_RUNS ?? 30);
const variants = (process.env.BENCH_VARIANTS ?? 'plain,churned').split(',');
const pageSize = 50;

const listings = searchListings(generateListings(), 'inc');
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const signal = new AbortController().signal;

/** What a sink does with a page: its records serialised, one line each (kept, so it is not optimised away). */
let sunk = 0;

/**
 * The search's pages as its handler returns them, with the task key the crawl would give each.
 * With `churn`, the handler parses the page's JSON body each time and serialises its records.
 */
function pagesOf(records, churn) {
  const pageCount = Math.ceil(records.length / pageSize);
  const search = { type: 'stock_search', search_term: 'inc', limit: pageSize, credentials: 'wtd' };
  const scope = taskKey({ ...search, page: 1 });
  return Array.from({ length: pageCount }, (_, index) => {
    const task = { ...search, page: index + 1 };
    const data = records.slice(index * pageSize, (index + 1) * pageSize);
    const expect = { scope, records: records.length, pages: pageCount };
    const result = { task, data, nextTasks: [], expect };
    const context = { signal, logger, taskKey: taskKey(task), attempt: 1 };
    const body = churn ? bodyOf(data, index + 1, pageCount, records.length) : undefined;
    const resultNow = churn
      ? () => {
          const parsed = JSON.parse(body);
          const lines = parsed.data.map((record) => JSON.stringify(record)).join('\n');
          sunk += lines.length;
          return { task, data: parsed.data, nextTasks: [], expect };
        }
      : () => result;
    return { task, result, context, resultNow };
  });
}

/** A page's body as the API would send it, each listing with a quote's fields too (~18 KB for 50). */
function bodyOf(data, page, pageCount, total) {
  const quoted = data.map((listing, index) => ({
    ...listing,
    price_open: listing.price,
    day_high: (Number(listing.price) * 1.02).toFixed(2),
    day_low: (Number(listing.price) * 0.98).toFixed(2),
    day_change: '0.12',
    change_pct: '1.50',
    market_cap: String(1_000_000 + index * 7919),
    volume: String(10_000 + index * 31),
    timezone: 'EST',
    last_trade_time: '2019-05-03 16:00:01',
  }));
  return JSON.stringify({
    message: 'ok',
    total_returned: data.length,
    total,
    total_pages: pageCount,
    page,
    limit: pageSize,
    data: quoted,
  });
}

/**
 * µs a page of `runs` runs through `handlerFor(ledger)`, each with a new ledger. Churned, each
 * page's own time less the bare handler's time inside it (recorded by `inner`): a difference of two
 * whole runs would drown in the time to parse and serialise (~10 times the check's).
 */
async function timeRuns(pages, runs, handlerFor, inner) {
  const start = performance.now();
  for (let run = 0; run < runs; run += 1) {
    const handler = handlerFor(new CompletenessLedger());
    for (const page of pages) await handler(page.task, page.context);
  }
  const outside = performance.now() - start - (inner?.spent ?? 0);
  if (inner !== undefined) inner.spent = 0;
  return (outside * 1000) / (runs * pages.length);
}

/**
 * µs a page of the ledger alone, `check` then `record` with the page's keys: made beforehand
 * (plain), or read from each page's fresh records (churned: then only the calls are timed, less
 * what the clock itself costs).
 */
function timeLedger(pages, runs, recordKey, churn) {
  const keyed = pages.map((page) => ({
    pageKey: page.context.taskKey,
    expect: page.result.expect,
    keys: page.result.data.map(recordKey),
    resultNow: page.resultNow,
  }));
  let timed = 0;
  const start = performance.now();
  for (let run = 0; run < runs; run += 1) {
    const ledger = new CompletenessLedger();
    for (const page of keyed) {
      const keys = churn ? page.resultNow().data.map(recordKey) : page.keys;
      const before = churn ? performance.now() : 0;
      if (ledger.check(page.pageKey, page.expect, keys).length > 0) throw new Error('a fault');
      ledger.record(page.pageKey, page.expect, keys);
      if (churn) timed += performance.now() - before - clockCost;
    }
    if (!ledger.report().complete) throw new Error('incomplete');
  }
  const spent = churn ? timed : performance.now() - start;
  return (spent * 1000) / (runs * keyed.length);
}

/** ms that reading the clock twice adds to an interval. */
const clockCost = (() => {
  const times = 100_000;
  let sum = 0;
  for (let index = 0; index < times; index += 1) {
    const before = performance.now();
    sum += performance.now() - before;
  }
  return sum / times;
})();

async function measure(label, records, recordKey, churn) {
  const pages = pagesOf(records, churn);
  const byTask = new Map(pages.map((page) => [page.task, page.resultNow]));
  // Churned, the bare handler's own time is kept, to be taken off the checked pages' time.
  const inner = churn ? { spent: 0 } : undefined;
  const bare =
    inner === undefined
      ? async (task) => byTask.get(task)()
      : async (task) => {
          const before = performance.now();
          const result = byTask.get(task)();
          inner.spent += performance.now() - before + clockCost;
          return result;
        };
  const runs = churn ? churnedRunsPerRound : runsPerRound;
  const checked = [];
  const ledgerOnly = [];
  for (let round = 0; round < repeats; round += 1) {
    const withCheck = await timeRuns(
      pages,
      runs,
      (ledger) => checkCompleteness(bare, { ledger, recordKey, maxAttempts: 6 }),
      inner,
    );
    const without = await timeRuns(pages, runs, () => bare, inner);
    checked.push(withCheck - without);
    ledgerOnly.push(timeLedger(pages, runs, recordKey, churn));
  }
  const spread = (values) => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
  console.log(
    `  ${label}: checkCompleteness ${median(checked).toFixed(1)} µs/page [${spread(checked)}], ` +
      `ledger alone ${median(ledgerOnly).toFixed(1)} µs/page [${spread(ledgerOnly)}]`,
  );
}

console.log(
  `completeness check: CPU µs per page of ${pageSize} records, ${listings.length} records a run, ` +
    `median of ${repeats} rounds${process.env.BENCH_CORE ? ` (${process.env.BENCH_CORE})` : ''}`,
);
// Unique 14-character keys in records of the same shape (a name, with the record's number).
const named = listings.map((listing, index) => ({
  ...listing,
  symbol: `${listing.name}#${index}`.padStart(14, '-').slice(-14),
}));
const symbolOf = (listing) => listing.symbol;
for (const variant of variants) {
  const churn = variant === 'churned';
  console.log(
    churn
      ? `${variant} (a ~18 KB JSON body parsed and its records serialised a page), ${churnedRunsPerRound} runs a round:`
      : `${variant} (the same records every run, nothing between pages), ${runsPerRound} runs a round:`,
  );
  await measure('symbols', listings, symbolOf, churn);
  await measure('14-character keys', named, symbolOf, churn);
}
if (sunk < 0) console.log(sunk);
