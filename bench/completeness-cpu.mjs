// CPU time per page of the completeness check that `runConnector` puts around every handler
// (`checkCompleteness` and a fresh `CompletenessLedger` a run), without I/O: the 94 pages of 50
// listings the emulator serves for the search 'inc' (symbols such as 'AAPL', 'VOD.L'), then the
// same pages keyed by 14-character names. A run is the 94 pages through a new ledger, awaited in
// turn; a round is many runs, timed once through the check and once through the bare handler, and
// the check's cost is the difference, per page. Prints the median of BENCH_REPEATS rounds (and
// the spread), and the ledger alone (`check` + `record`, keys already made).
// BENCH_CORE=path/to/dist/index.js measures another build of @capital/core (one of main's, to
// compare): `node bench/completeness-cpu.mjs`.
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
const pageSize = 50;

const listings = searchListings(generateListings(), 'inc');
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const signal = new AbortController().signal;

/** The search's pages as its handler returns them, with the task key the crawl would give each. */
function pagesOf(records) {
  const pageCount = Math.ceil(records.length / pageSize);
  const search = { type: 'stock_search', search_term: 'inc', limit: pageSize, credentials: 'wtd' };
  const scope = taskKey({ ...search, page: 1 });
  return Array.from({ length: pageCount }, (_, index) => {
    const task = { ...search, page: index + 1 };
    const result = {
      task,
      data: records.slice(index * pageSize, (index + 1) * pageSize),
      nextTasks: [],
      expect: { scope, records: records.length, pages: pageCount },
    };
    const context = { signal, logger, taskKey: taskKey(task), attempt: 1 };
    return { task, result, context };
  });
}

/** µs a page of `runsPerRound` runs through `handlerFor(ledger)`, each with a new ledger. */
async function timeRuns(pages, handlerFor) {
  const start = performance.now();
  for (let run = 0; run < runsPerRound; run += 1) {
    const handler = handlerFor(new CompletenessLedger());
    for (const page of pages) await handler(page.task, page.context);
  }
  return ((performance.now() - start) * 1000) / (runsPerRound * pages.length);
}

/** µs a page of the ledger alone: `check` then `record` with the page's keys, made beforehand. */
function timeLedger(pages, recordKey) {
  const keyed = pages.map((page) => ({
    pageKey: page.context.taskKey,
    expect: page.result.expect,
    keys: page.result.data.map(recordKey),
  }));
  const start = performance.now();
  for (let run = 0; run < runsPerRound; run += 1) {
    const ledger = new CompletenessLedger();
    for (const page of keyed) {
      if (ledger.check(page.pageKey, page.expect, page.keys).length > 0) throw new Error('a fault');
      ledger.record(page.pageKey, page.expect, page.keys);
    }
    if (!ledger.report().complete) throw new Error('incomplete');
  }
  return ((performance.now() - start) * 1000) / (runsPerRound * pages.length);
}

async function measure(label, records, recordKey) {
  const pages = pagesOf(records);
  const byTask = new Map(pages.map((page) => [page.task, page.result]));
  const bare = async (task) => byTask.get(task);
  const checked = [];
  const ledgerOnly = [];
  for (let round = 0; round < repeats; round += 1) {
    const withCheck = await timeRuns(pages, (ledger) =>
      checkCompleteness(bare, { ledger, recordKey, maxAttempts: 6 }),
    );
    const without = await timeRuns(pages, () => bare);
    checked.push(withCheck - without);
    ledgerOnly.push(timeLedger(pages, recordKey));
  }
  const spread = (values) => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
  console.log(
    `  ${label}: checkCompleteness ${median(checked).toFixed(1)} µs/page [${spread(checked)}], ` +
      `ledger alone ${median(ledgerOnly).toFixed(1)} µs/page [${spread(ledgerOnly)}]`,
  );
}

console.log(
  `completeness check: CPU µs per page of ${pageSize} records, ${listings.length} records a run, ` +
    `${runsPerRound} runs a round, median of ${repeats} rounds${process.env.BENCH_CORE ? ` (${process.env.BENCH_CORE})` : ''}`,
);
await measure('symbols', listings, (listing) => listing.symbol);
// Unique 14-character keys in records of the same shape (a name, with the record's number).
const named = listings.map((listing, index) => ({
  ...listing,
  symbol: `${listing.name}#${index}`.padStart(14, '-').slice(-14),
}));
await measure('14-character keys', named, (listing) => listing.symbol);
