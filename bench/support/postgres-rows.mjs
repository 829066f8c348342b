// Synthetic rows for the PostgreSQL sink benchmark: listings shaped like World Trading Data's,
// in pages as the crawl hands them to a sink, and the pace at which it hands them over.
import { taskKey } from '@capital/core';
import { crawlBuffer, writeTo } from '@capital/sinks';
import { lastValueFrom, Observable } from 'rxjs';

const exchanges = [
  ['USD', 'New York Stock Exchange', 'NYSE'],
  ['USD', 'NASDAQ Stock Exchange', 'NASDAQ'],
  ['GBX', 'London Stock Exchange', 'LSE'],
  ['CAD', 'Toronto Stock Exchange', 'TSX'],
];

/** Listing number `index`: unique symbol, ~170 bytes of JSON with a quote and a backslash now and then. */
export function listing(index) {
  const [currency, long, short] = exchanges[index % exchanges.length];
  return {
    symbol: `S${index.toString(36).toUpperCase()}.${short}`,
    name: index % 17 === 0 ? `"New York" Holdings \\ Trust ${index}` : `New York Company ${index} Inc.`,
    currency,
    price: (((index * 7919) % 100000) / 100).toFixed(2),
    stock_exchange_long: long,
    stock_exchange_short: short,
  };
}

/** `rows` listings cut into SinkPages of `pageSize`, as `write` receives them. */
export function listingPages(rows, pageSize, fetchedAt = Date.now()) {
  const pages = [];
  for (let start = 0, number = 1; start < rows; start += pageSize, number += 1) {
    const task = { type: 'bench.listings', page: number };
    const data = Array.from({ length: Math.min(pageSize, rows - start) }, (_, offset) =>
      listing(start + offset),
    );
    pages.push({ key: taskKey(task), task, data, nextTasks: [], fetchedAt });
  }
  return pages;
}

/**
 * Writes `pages` to `sink` as `capital run` does, through `writeTo(sink)` (up to the sink's
 * maxPendingWrites in flight), behind a source paced as the default crawl: concurrency 4 and the
 * buffer `capital run` picks for this sink (`crawlBuffer`: 8 pages, or for a sink that groups by
 * records up to its maxPendingRecords records in up to its maxPendingWrites pages). A page is
 * handed over while fewer than `concurrency + buffer` pages, holding fewer than that many
 * records, are handed over and not yet acknowledged; the next as soon as one is acknowledged.
 * The crawl's own work (fetching, task keys) is left out, so the figure is the sink's. Resolves
 * once every page is acknowledged.
 */
export function writeLikeACrawl(sink, pages, concurrency = 4) {
  const { buffer, bufferRecords = Number.POSITIVE_INFINITY } = crawlBuffer(concurrency, undefined, sink);
  const bound = concurrency + buffer;
  const paced = new Observable((subscriber) => {
    let next = 0;
    let unacknowledged = 0;
    let records = 0;
    const handOver = () => {
      while (unacknowledged < bound && records < bufferRecords && next < pages.length) {
        const page = pages[next];
        next += 1;
        unacknowledged += 1;
        records += page.data.length;
        subscriber.next({
          ...page,
          depth: 0,
          attempts: 1,
          ack: () => {
            unacknowledged -= 1;
            records -= page.data.length;
            handOver();
          },
        });
      }
      if (next === pages.length) subscriber.complete();
    };
    handOver();
  });
  return lastValueFrom(paced.pipe(writeTo(sink)), { defaultValue: undefined });
}
