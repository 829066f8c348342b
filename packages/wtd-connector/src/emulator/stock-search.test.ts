import { describe, expect, it } from 'vitest';
import { generateListings, searchListings } from './dataset.js';
import type { StockSearchOutcome, StockSearchPage } from './stock-search.js';
import { createStockSearch } from './stock-search.js';

const listings = generateListings({ size: 5000, seed: 4 });
const search = createStockSearch(listings, 50);
const matches = searchListings(listings, 'new york');

function page(query: string): StockSearchPage {
  const outcome = search(new URLSearchParams(query));
  if (!outcome.ok) throw new Error(`expected a page, got ${outcome.response.body}`);
  return outcome.page;
}

function refusal(query: string): { status: number; message: unknown } {
  const outcome: StockSearchOutcome = search(new URLSearchParams(query));
  if (outcome.ok) throw new Error('expected a refusal');
  return { status: outcome.response.status, message: JSON.parse(outcome.response.body).message };
}

describe('createStockSearch', () => {
  it('fixture: the search matches enough listings for a partial last page', () => {
    expect(matches.length).toBe(108);
  });

  it('answers the first page with the totals', () => {
    expect(page('search_term=new york&limit=50&page=1')).toEqual({
      total_returned: 50,
      total_results: 108,
      total_pages: 3,
      limit: 50,
      page: 1,
      data: matches.slice(0, 50),
    });
  });

  it('answers a partial last page', () => {
    const last = page('search_term=new york&limit=50&page=3');
    expect(last.total_returned).toBe(8);
    expect(last.data).toEqual(matches.slice(100));
    expect(last.total_pages).toBe(3);
  });

  it('answers a page past the last with no data and the true totals', () => {
    expect(page('search_term=new york&limit=50&page=4')).toEqual({
      total_returned: 0,
      total_results: 108,
      total_pages: 3,
      limit: 50,
      page: 4,
      data: [],
    });
  });

  it('covers every match exactly once across the pages', () => {
    const pages = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((number) =>
      page(`search_term=NEW YORK&limit=10&page=${number}`),
    );
    expect(pages.flatMap((each) => each.data)).toEqual(matches);
    expect(pages[0]?.total_pages).toBe(11);
  });

  it('answers zero pages when nothing matches', () => {
    expect(page('search_term=zzzzzz')).toMatchObject({ total_results: 0, total_pages: 0, data: [] });
  });

  it('defaults to page 1 and the largest limit', () => {
    expect(page('search_term=new york')).toMatchObject({ page: 1, limit: 50, total_returned: 50 });
  });

  it('clamps a limit above the maximum, and says so in the body', () => {
    expect(page('search_term=new york&limit=500')).toMatchObject({
      limit: 50,
      total_returned: 50,
      total_pages: 3,
    });
  });

  it('requires a search term that is not blank', () => {
    expect(refusal('limit=5')).toEqual({ status: 400, message: 'The search term field is required.' });
    expect(refusal('search_term=%20%20')).toEqual({
      status: 400,
      message: 'The search term field is required.',
    });
  });

  it.each(['0', '-1', '1.5', 'ten', '', '1e2', '99999999999999999999'])('refuses limit=%s', (limit) => {
    expect(refusal(`search_term=a&limit=${limit}`)).toEqual({
      status: 400,
      message: 'The limit must be a positive integer.',
    });
  });

  it.each(['0', '-3', '2.0', 'last', ''])('refuses page=%s', (pageNumber) => {
    expect(refusal(`search_term=a&page=${pageNumber}`)).toEqual({
      status: 400,
      message: 'The page must be a positive integer.',
    });
  });
});
