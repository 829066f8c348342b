import { ackAfter, type CrawlPage, crawl, createCredentialResolver, type RetryOptions } from '@capital/core';
import { fc, it } from '@fast-check/vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { describe, expect } from 'vitest';
import { generateListings, type Listing, searchListings } from './emulator/dataset.js';
import type { FaultOptions } from './emulator/faults.js';
import { startEmulator } from './emulator/server.js';
import { createStockSearchHandler } from './handler.js';
import type { Listing as ApiListing } from './schema.js';
import { type StockSearchTask, stockSearchTask } from './task.js';

const token = 'prop-test-token';

/** A few seconds on an idle machine; room for a loaded two-core one. */
const propertyTimeoutMs = 60_000;

/** The most pages one case may crawl, so that the file runs in seconds. */
const maxPages = 120;

/** How a case picks its search term: a piece of one listing's name or symbol, in some case. */
const termPick = fc.record({
  listing: fc.nat(),
  fromSymbol: fc.boolean(),
  start: fc.nat(),
  length: fc.integer({ min: 1, max: 8 }),
  upperCase: fc.boolean(),
});

const crawlCase = fc.record({
  size: fc.integer({ min: 0, max: 3000 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  limit: fc.integer({ min: 1, max: 50 }),
  pick: termPick,
});

type TermPick = typeof termPick extends fc.Arbitrary<infer P> ? P : never;

/** A search term found in the dataset (never blank: the API refuses those). */
function termFrom(listings: readonly Listing[], pick: TermPick): string {
  const listing = listings[pick.listing % Math.max(listings.length, 1)];
  if (listing === undefined) return 'new york';
  const text = pick.fromSymbol ? listing.symbol : listing.name;
  const start = pick.start % text.length;
  let term = text.slice(start, start + pick.length);
  if (term.trim() === '') term = listing.symbol;
  return pick.upperCase ? term.toUpperCase() : term.toLowerCase();
}

type CrawlOutcome = {
  readonly records: ApiListing[];
  readonly pages: number[];
  readonly served: { readonly page: number; readonly served: number }[];
};

/** Crawls one search against a fresh emulator serving `listings`, acknowledging every page. */
async function crawlSearch(
  listings: readonly Listing[],
  term: string,
  limit: number,
  retry: RetryOptions | false,
  faults: FaultOptions = {},
): Promise<CrawlOutcome> {
  const emulator = await startEmulator({ dataset: listings, tokens: [token], rateLimit: false, ...faults });
  try {
    const handler = createStockSearchHandler({
      baseUrl: emulator.url,
      resolveCredential: createCredentialResolver({}, { WTD_API_TOKEN: token }),
    });
    const pages = await lastValueFrom(
      of(stockSearchTask({ searchTerm: term, limit })).pipe(
        crawl(handler, { retry }),
        ackAfter(async (page: CrawlPage<StockSearchTask, ApiListing>) => page),
        toArray(),
      ),
    );
    pages.sort((a, b) => a.task.page - b.task.page);
    return {
      records: pages.flatMap((page) => [...page.data]),
      pages: pages.map((page) => page.task.page),
      served: emulator.stats().pages.map(({ page, served }) => ({ page, served })),
    };
  } finally {
    await emulator.close();
  }
}

/** Pages a crawl fetches: one per `limit` matches, and one empty page when nothing matches. */
function expectedPages(matches: number, limit: number): number[] {
  const count = Math.max(1, Math.ceil(matches / limit));
  return Array.from({ length: count }, (_, index) => index + 1);
}

describe('crawling createStockSearchHandler against the emulator', () => {
  it.prop([crawlCase], { numRuns: 25 })(
    'yields every matching listing exactly once, in the API order, one fetch per page',
    async ({ size, seed, limit, pick }) => {
      const listings = generateListings({ size, seed });
      const term = termFrom(listings, pick);
      const expected = searchListings(listings, term);
      fc.pre(Math.ceil(expected.length / limit) <= maxPages);

      const outcome = await crawlSearch(listings, term, limit, false);

      expect(outcome.records).toEqual(expected);
      expect(new Set(outcome.records.map((listing) => listing.symbol)).size).toBe(expected.length);
      const pages = expectedPages(expected.length, limit);
      expect(outcome.pages).toEqual(pages);
      expect(outcome.served).toEqual(pages.map((page) => ({ page, served: 1 })));
    },
    propertyTimeoutMs,
  );

  it.prop([crawlCase, fc.integer({ min: 1, max: 1000 })], { numRuns: 15 })(
    'still yields every matching listing exactly once when 5xx and broken bodies are retried',
    async ({ size, seed, limit, pick }, faultSeed) => {
      const listings = generateListings({ size, seed });
      const term = termFrom(listings, pick);
      const expected = searchListings(listings, term);
      fc.pre(Math.ceil(expected.length / limit) <= maxPages);

      // Zero delays: the retries are what is tested, not the backoff. 40 retries at a 35 % failure
      // rate fail a page with probability 0.35^41, about 1e-19.
      const retry = { retries: 40, minTimeoutMs: 0, maxTimeoutMs: 0, randomize: false };
      const faults = { faultRate: 0.2, malformedRate: 0.15, seed: faultSeed };
      const outcome = await crawlSearch(listings, term, limit, retry, faults);

      expect(outcome.records).toEqual(expected);
      const pages = expectedPages(expected.length, limit);
      expect(outcome.pages).toEqual(pages);
      expect(outcome.served).toEqual(pages.map((page) => ({ page, served: 1 })));
    },
    propertyTimeoutMs,
  );
});
