// Synthetic rows for the PostgreSQL sink benchmark: listings shaped like World Trading Data's,
// in pages as the crawl hands them to a sink.
import { taskKey } from '@capital/core';

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
