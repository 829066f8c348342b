import { describe, expect, it } from 'vitest';
import { pageFaults, pagesOf } from './page-faults.js';
import type { StockSearchPage } from './schema.js';

const listing = (index: number) => ({
  symbol: `S${index}`,
  name: `Name ${index}`,
  currency: 'USD',
  price: '1.00',
  stock_exchange_long: 'NYSE',
  stock_exchange_short: 'NYSE',
});

/** Page `page` of 431 results at 50 per page, as the API should send it. */
function page(number: number, overrides: Partial<StockSearchPage> = {}): StockSearchPage {
  const count = number < 9 ? 50 : number === 9 ? 31 : 0;
  const data = Array.from({ length: count }, (_, index) => listing((number - 1) * 50 + index));
  return {
    total_returned: data.length,
    total_results: 431,
    total_pages: 9,
    limit: 50,
    page: number,
    data,
    ...overrides,
  };
}

describe('pageFaults', () => {
  it('finds nothing wrong with any page of a consistent search, nor with the empty search', () => {
    for (let number = 1; number <= 10; number += 1) expect(pageFaults(page(number))).toEqual([]);
    expect(
      pageFaults({ total_returned: 0, total_results: 0, total_pages: 0, limit: 50, page: 1, data: [] }),
    ).toEqual([]);
  });

  it('faults total_pages 1 while total_results 431', () => {
    expect(pageFaults(page(1, { total_pages: 1 }))).toEqual([
      'total_pages is 1, but 431 results at 50 per page make 9',
    ]);
  });

  it('faults total_pages 0 while total_results 431', () => {
    expect(pageFaults(page(1, { total_pages: 0 }))[0]).toBe(
      'total_pages is 0, but 431 results at 50 per page make 9',
    );
  });

  it('faults total_returned other than the listings sent', () => {
    expect(pageFaults(page(4, { data: page(4).data.slice(0, 10) }))).toEqual([
      'total_returned is 50, but the page holds 10 listings',
    ]);
  });

  it('counts the pages a search spans by its totals, one at least', () => {
    expect(pagesOf({ total_results: 431, limit: 50 })).toBe(9);
    expect(pagesOf({ total_results: 0, limit: 50 })).toBe(1);
  });
});
