import type { StockSearchPage } from './schema.js';

/**
 * The pages a search spans by its own totals: `ceil(total_results / limit)`, and at least the one
 * page the API answers with when nothing matches.
 */
export function pagesOf(page: Pick<StockSearchPage, 'total_results' | 'limit'>): number {
  return Math.max(1, Math.ceil(page.total_results / page.limit));
}

/**
 * What is wrong with a page by its own figures: each is a lie the API has been seen to tell, and
 * each would otherwise end a crawl with listings missing and exit 0.
 *
 * - `total_pages` other than `ceil(total_results / limit)` (`total_pages: 1` or `0` while
 *   `total_results: 431`): the crawl would stop early;
 * - `total_returned` other than the listings sent;
 * - a page before the last with fewer than `limit` listings (page 4 of 9 holding 10);
 * - the last page with other than the listings left over.
 *
 * @returns the problems, in words; none for a consistent page.
 */
export function pageFaults(page: StockSearchPage): string[] {
  const faults: string[] = [];
  const expectedPages = Math.ceil(page.total_results / page.limit);
  if (page.total_pages !== expectedPages) {
    faults.push(
      `total_pages is ${page.total_pages}, but ${page.total_results} results at ${page.limit} per page make ${expectedPages}`,
    );
  }
  if (page.total_returned !== page.data.length) {
    faults.push(`total_returned is ${page.total_returned}, but the page holds ${page.data.length} listings`);
  }
  const pages = Math.max(page.total_pages, expectedPages);
  if (page.page < pages && page.data.length !== page.limit) {
    faults.push(`page ${page.page} of ${pages} holds ${page.data.length} listings, not ${page.limit}`);
  } else if (page.page === pages) {
    const left = page.total_results - (page.page - 1) * page.limit;
    if (page.data.length !== left) {
      faults.push(
        `the last page holds ${page.data.length} listings, but ${left} are left of ${page.total_results}`,
      );
    }
  } else if (page.page > pages && page.data.length > 0) {
    faults.push(`page ${page.page} is past the last page (${pages}) yet holds ${page.data.length} listings`);
  }
  return faults;
}
