import type { StockSearchPage } from './schema.js';

/**
 * The pages a search spans by its own totals: `ceil(total_results / limit)`, and at least the one
 * page the API answers with when nothing matches.
 */
export function pagesOf(page: Pick<StockSearchPage, 'total_results' | 'limit'>): number {
  return Math.max(1, Math.ceil(page.total_results / page.limit));
}

/**
 * What is wrong with a page by its own figures, beyond what the paginator checks (short pages,
 * a last page that leaves records out, totals that change between pages): each is a lie the API
 * has been seen to tell.
 *
 * - `total_pages` other than `ceil(total_results / limit)` (`total_pages: 1` or `0` while
 *   `total_results: 431`): named here, so the message says which figure lies;
 * - `total_returned` other than the listings sent (the paginator reads no such field).
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
  return faults;
}
