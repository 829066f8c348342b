import { describe, expect, it } from 'vitest';
import type { Listing } from './dataset.js';
import { generateListings, searchListings } from './dataset.js';

const listings = generateListings();
const newYork = listings.filter((listing) => listing.name.toLowerCase().includes('new york'));

describe('generateListings', () => {
  it('makes 20,000 listings by default', () => {
    expect(listings).toHaveLength(20_000);
  });

  it('is deterministic for a seed', () => {
    expect(generateListings({ size: 500, seed: 9 })).toEqual(generateListings({ size: 500, seed: 9 }));
  });

  it('gives other listings for another seed', () => {
    expect(generateListings({ size: 500, seed: 9 })).not.toEqual(generateListings({ size: 500, seed: 10 }));
  });

  it('honours the size option, down to zero', () => {
    expect(generateListings({ size: 1234 })).toHaveLength(1234);
    expect(generateListings({ size: 0 })).toEqual([]);
  });

  it('refuses a size that is not a non-negative integer', () => {
    expect(() => generateListings({ size: -1 })).toThrow(RangeError);
    expect(() => generateListings({ size: 1.5 })).toThrow(RangeError);
  });

  it('gives every listing a unique symbol', () => {
    expect(new Set(listings.map((listing) => listing.symbol)).size).toBe(listings.length);
  });

  it('keeps symbols unique in a much larger set', () => {
    const large = generateListings({ size: 40_000, seed: 3 });
    expect(new Set(large.map((listing) => listing.symbol)).size).toBe(40_000);
  });

  it('spreads listings over several exchanges, each with one long name and one currency', () => {
    const exchanges = new Map<string, Set<string>>();
    for (const listing of listings) {
      const seen = exchanges.get(listing.stock_exchange_short) ?? new Set();
      seen.add(`${listing.stock_exchange_long}|${listing.currency}`);
      exchanges.set(listing.stock_exchange_short, seen);
    }
    expect([...exchanges.keys()]).toEqual(expect.arrayContaining(['NYSE', 'NASDAQ', 'LSE', 'TSX', 'XETRA']));
    for (const variants of exchanges.values()) expect(variants.size).toBe(1);
    expect(exchanges.get('NYSE')).toEqual(new Set(['New York Stock Exchange|USD']));
  });

  it('gives prices as strings with two decimals', () => {
    expect(listings.filter((listing) => !/^\d+\.\d\d$/.test(listing.price))).toEqual([]);
  });

  it('has every field of the real API, all strings', () => {
    const fields: (keyof Listing)[] = [
      'symbol',
      'name',
      'currency',
      'price',
      'stock_exchange_long',
      'stock_exchange_short',
    ];
    for (const listing of listings.slice(0, 100)) {
      expect(Object.keys(listing).sort()).toEqual([...fields].sort());
      for (const field of fields) expect(typeof listing[field]).toBe('string');
    }
  });

  it('names about 2 % of the listings after New York, 431 in the default set', () => {
    expect(newYork.length).toBeGreaterThanOrEqual(300);
    expect(newYork).toHaveLength(431);
  });

  it('writes "New York" in varied case and position', () => {
    const names = newYork.map((listing) => listing.name);
    expect(names.some((name) => name.startsWith('New York '))).toBe(true);
    expect(names.some((name) => name.includes('NEW YORK'))).toBe(true);
    expect(names.some((name) => name.includes('new york'))).toBe(true);
    expect(names.some((name) => name.includes('New York-based'))).toBe(true);
    expect(names.some((name) => name.endsWith('of New York'))).toBe(true);
  });

  it('lists New York companies on more than one exchange', () => {
    expect(new Set(newYork.map((listing) => listing.stock_exchange_short)).size).toBeGreaterThan(3);
  });
});

describe('searchListings', () => {
  it('finds every New York name, whatever the case of the term', () => {
    const expected = searchListings(listings, 'new york');
    expect(expected).toHaveLength(431);
    expect(searchListings(listings, 'NEW YORK')).toEqual(expected);
    expect(searchListings(listings, 'New York')).toEqual(expected);
  });

  it('matches a substring of the symbol', () => {
    const target = listings.find((listing) => listing.symbol.endsWith('.L'));
    expect(target).toBeDefined();
    const symbol = target?.symbol ?? '';
    expect(searchListings(listings, symbol.toLowerCase())).toContainEqual(target);
  });

  it('sorts the matches by symbol', () => {
    const symbols = searchListings(listings, 'new york').map((listing) => listing.symbol);
    expect(symbols).toEqual([...symbols].sort());
  });

  it('returns nothing when nothing matches', () => {
    expect(searchListings(listings, 'no such company anywhere')).toEqual([]);
  });

  it('leaves the input untouched', () => {
    const sample = listings.slice(0, 50);
    const before = [...sample];
    searchListings(sample, 'a');
    expect(sample).toEqual(before);
  });
});
