import { seededRandom } from '@capital/core/testing';
import { companyName, newYorkName } from './company-names.js';
import { EXCHANGES, pickExchange } from './exchanges.js';
import { createSymbolMinter } from './symbol-minter.js';

/** One stock as World Trading Data's `stock_search` returned it. */
export type Listing = {
  /** Ticker symbol, unique in a dataset, with the exchange suffix outside the US (`VOD.L`). */
  symbol: string;
  /** Company name. */
  name: string;
  /** Trading currency, e.g. `USD`, `GBX`, `EUR`. */
  currency: string;
  /** Last price as a decimal string with two places, e.g. `"31.24"`, as the real API sent it. */
  price: string;
  /** Exchange long name, e.g. `New York Stock Exchange`. */
  stock_exchange_long: string;
  /** Exchange short name, e.g. `NYSE`. */
  stock_exchange_short: string;
};

/** Options of {@link generateListings}. */
export type GenerateListingsOptions = {
  /**
   * How many listings to make.
   * @default 20_000
   */
  readonly size?: number;
  /**
   * Seed of the pseudo-random generator; the same seed and size always give the same listings.
   * @default 1
   */
  readonly seed?: number;
};

/**
 * Share of listings whose name contains "New York". It is chosen so that the default 20,000
 * listings answer a search for "new york" with 431 results — 9 pages of 50, the last one partial —
 * the totals of the real API's documented example.
 */
const NEW_YORK_SHARE = 431 / 20_000;

/** US exchanges list most of the New York companies, as in the real data. */
const US_EXCHANGES = EXCHANGES.filter((exchange) => exchange.currency === 'USD');

/**
 * Makes a deterministic list of stock listings spread over several exchanges (NYSE, NASDAQ,
 * LSE, TSX, XETRA, …), with unique symbols. About 2 % of them (`Math.round(size * 431 / 20000)`,
 * so 431 of the default 20,000) have a name containing "New York" in varied case and position:
 * "New York Realty Trust", "NEW YORK MINING CORP.", "new york atlas gold fund", "New York-based …",
 * "… of New York". No other name contains "new york", in any case.
 *
 * @param options - Size and seed; see {@link GenerateListingsOptions}.
 * @returns The listings, in no particular order.
 * @throws {RangeError} when `size` is not a non-negative integer.
 * @example
 * const listings = generateListings();
 * searchListings(listings, 'new york').length; // 431
 */
export function generateListings(options: GenerateListingsOptions = {}): Listing[] {
  const { size = 20_000, seed = 1 } = options;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`generateListings: size must be a non-negative integer, got ${size}.`);
  }
  const random = seededRandom(seed);
  const mintSymbol = createSymbolMinter(random);
  const newYorkCount = Math.round(size * NEW_YORK_SHARE);
  const listings: Listing[] = [];
  for (let index = 0; index < size; index += 1) {
    const aboutNewYork = index < newYorkCount;
    const exchange =
      aboutNewYork && random() < 0.8 ? pickExchange(random, US_EXCHANGES) : pickExchange(random);
    const name = aboutNewYork ? newYorkName(random, exchange) : companyName(random, exchange);
    listings.push({
      symbol: mintSymbol(name, exchange),
      name,
      currency: exchange.currency,
      price: randomPrice(random, exchange.currency),
      stock_exchange_long: exchange.long,
      stock_exchange_short: exchange.short,
    });
  }
  return shuffle(random, listings);
}

/** Prices spread log-uniformly, as real ones are: many under $50, a few in the thousands. */
function randomPrice(random: () => number, currency: string): string {
  const [low, high] = currency === 'JPY' ? [50, 80_000] : currency === 'GBX' ? [5, 9_000] : [0.5, 1_500];
  return Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low))).toFixed(2);
}

/** Fisher–Yates, so the New York listings are scattered through the list, not at its head. */
function shuffle<T>(random: () => number, items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    const item = items[index] as T;
    items[index] = items[other] as T;
    items[other] = item;
  }
  return items;
}

/**
 * Searches listings the way World Trading Data's `stock_search` did: a case-insensitive
 * substring match on the company name or the symbol.
 *
 * @param listings - The listings to search, e.g. from {@link generateListings}.
 * @param term - The search term, matched as given (not trimmed); an empty term matches all.
 * @returns The matches, sorted by symbol (by UTF-16 code units, so the order does not depend on
 * the locale), hence a stable order for paging.
 * @example searchListings(generateListings(), 'NEW york').length // 431
 */
export function searchListings(listings: readonly Listing[], term: string): Listing[] {
  const needle = term.toLowerCase();
  return listings
    .filter(
      (listing) =>
        listing.name.toLowerCase().includes(needle) || listing.symbol.toLowerCase().includes(needle),
    )
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}
