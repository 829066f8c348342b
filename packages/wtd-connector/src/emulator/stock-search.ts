import type { EmulatorResponse, Route } from '@capital/core/testing';
import { jsonResponse } from '@capital/core/testing';
import type { Listing } from './dataset.js';
import { searchListings } from './dataset.js';
import { errorResponse } from './emulator-response.js';

/** The path of World Trading Data's stock search. */
export const STOCK_SEARCH_PATH = '/api/v1/stock_search';

/** The body of a successful `stock_search` answer, field for field as the real API sent it. */
export type StockSearchPage = {
  /** Listings on this page: `limit`, fewer on the last page, none past it. */
  readonly total_returned: number;
  /** Listings matching the search term, on all pages. */
  readonly total_results: number;
  /** `ceil(total_results / limit)`; 0 when nothing matches. */
  readonly total_pages: number;
  /** The page size used, after clamping to the maximum. */
  readonly limit: number;
  /** The page number, 1-based, as requested. */
  readonly page: number;
  /** The listings on this page, sorted by symbol across pages. */
  readonly data: readonly Listing[];
};

/** A valid `stock_search` query, with defaults applied and `limit` clamped. */
export type StockSearchQuery = {
  readonly searchTerm: string;
  readonly limit: number;
  readonly page: number;
};

/** A page found, or the 400 answer explaining why the query is invalid. */
export type StockSearchOutcome =
  | { readonly ok: true; readonly query: StockSearchQuery; readonly page: StockSearchPage }
  | { readonly ok: false; readonly response: EmulatorResponse };

/** Search results kept per term, so paging through one search does not rescan the dataset. */
const CACHED_TERMS = 64;

/**
 * Creates the emulator's `stock_search`: query validation, search and pagination, without
 * HTTP, tokens, rate limits or faults.
 *
 * - `search_term` is required and must not be blank.
 * - `limit` and `page` are optional positive integers (digits only); `limit` defaults to
 *   `maxLimit` and `page` to 1.
 * - A `limit` above `maxLimit` is clamped to it, not refused, as the real API did; the body's
 *   `limit` field shows the size actually used.
 * - A page past the last one is a 200 with `data: []` and the true totals, as the real API did.
 *
 * @param dataset - The listings to search.
 * @param maxLimit - The largest page size.
 * @returns A function from the query string to the validated query and its page, or to a 400.
 * @example
 * const search = createStockSearch(generateListings(), 50);
 * search(new URLSearchParams('search_term=new york&page=9')); // { ok: true, query, page: { total_returned: 31, … } }
 */
export function createStockSearch(
  dataset: readonly Listing[],
  maxLimit: number,
): (params: URLSearchParams) => StockSearchOutcome {
  const cache = new Map<string, Listing[]>();
  const search = (term: string): Listing[] => {
    const cached = cache.get(term);
    if (cached !== undefined) return cached;
    const results = searchListings(dataset, term);
    if (cache.size >= CACHED_TERMS) cache.delete(cache.keys().next().value ?? '');
    cache.set(term, results);
    return results;
  };

  return (params) => {
    const searchTerm = params.get('search_term');
    if (searchTerm === null || searchTerm.trim() === '') {
      return invalid('The search term field is required.');
    }
    const limit = positiveInteger(params.get('limit'), maxLimit);
    if (limit === undefined) return invalid('The limit must be a positive integer.');
    const page = positiveInteger(params.get('page'), 1);
    if (page === undefined) return invalid('The page must be a positive integer.');

    const query = { searchTerm, limit: Math.min(limit, maxLimit), page };
    const results = search(searchTerm);
    const start = (page - 1) * query.limit;
    const data = results.slice(start, start + query.limit);
    return {
      ok: true,
      query,
      page: {
        total_returned: data.length,
        total_results: results.length,
        total_pages: Math.ceil(results.length / query.limit),
        limit: query.limit,
        page,
        data,
      },
    };
  };
}

/**
 * The emulator's one route, `GET /api/v1/stock_search`: a page, or a 400 for an invalid query.
 * Each good page is counted in the stats under `JSON.stringify([searchTerm, limit, page])`.
 *
 * @param dataset - The listings to search.
 * @param maxLimit - The largest page size.
 * @returns The route, for `startEmulatorServer`.
 * @example stockSearchRoute(generateListings(), 50).path // '/api/v1/stock_search'
 */
export function stockSearchRoute(dataset: readonly Listing[], maxLimit: number): Route {
  const search = createStockSearch(dataset, maxLimit);
  return {
    method: 'GET',
    path: STOCK_SEARCH_PATH,
    handle: (request) => {
      const outcome = search(request.query);
      if (!outcome.ok) return outcome.response;
      const { searchTerm, limit, page } = outcome.query;
      const served = { key: JSON.stringify([searchTerm, limit, page]), records: outcome.page.data.length };
      return { ...jsonResponse(200, outcome.page), served };
    },
  };
}

function invalid(message: string): StockSearchOutcome {
  return { ok: false, response: errorResponse(400, message) };
}

/** The parameter as a positive integer, `fallback` when absent, `undefined` when invalid. */
function positiveInteger(raw: string | null, fallback: number): number | undefined {
  if (raw === null) return fallback;
  if (!/^[0-9]+$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}
