import type { CredentialResolver, Handler, TaskResult } from '@capital/core';
import { IncompleteResultError, labelTask, NonRetryableError, taskKey } from '@capital/core';
import { fetchStockSearchPage } from './client.js';
import { pageFaults, pagesOf } from './page-faults.js';
import type { Listing } from './schema.js';
import type { StockSearchTask } from './task.js';

/** Options of {@link createStockSearchHandler}. */
export type StockSearchHandlerOptions = {
  /** The API's base URL: the emulator's, or a real deployment's. */
  readonly baseUrl: string;
  /** Resolves the task's credential reference to a token. */
  readonly resolveCredential: CredentialResolver;
  /**
   * Per request, in ms.
   * @default 15_000
   */
  readonly timeoutMs?: number;
};

/**
 * The tasks after a page. Page 1 knows the total, so it fans out to every other page at once
 * and they can be fetched concurrently. Every page also names the page after it while
 * `page < total_pages`: the crawl drops those as duplicates of the fan-out, but if the result
 * set grew while the crawl ran, the last page known still leads on to the new ones.
 */
export function nextPages(task: StockSearchTask, page: number, totalPages: number): StockSearchTask[] {
  if (page >= totalPages) return [];
  const last = page === 1 ? totalPages : page + 1;
  const next: StockSearchTask[] = [];
  for (let number = page + 1; number <= last; number += 1) next.push({ ...task, page: number });
  return next;
}

/**
 * The handler of stock-search tasks: fetches the task's page and returns its listings, the
 * pages that follow it (see {@link nextPages}), and what the whole search must hold by the
 * page's totals (`expect`, scoped to the search's first page), which the run checks its output
 * against. A page whose totals contradict themselves or its listings (see {@link pageFaults})
 * fails with a retryable `IncompleteResultError` that keeps the page, for runs that tolerate it.
 *
 * @example
 * const handler = createStockSearchHandler({ baseUrl: emulator.url, resolveCredential: createCredentialResolver() });
 * of(stockSearchTask({ searchTerm: 'new york' })).pipe(crawl(handler))
 */
export function createStockSearchHandler(
  options: StockSearchHandlerOptions,
): Handler<StockSearchTask, Listing> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return async (task, context): Promise<TaskResult<StockSearchTask, Listing>> => {
    let token: string;
    try {
      token = options.resolveCredential(task.credentials);
    } catch (error) {
      throw new NonRetryableError((error as Error).message, { cause: error });
    }
    const page = await fetchStockSearchPage({
      baseUrl: options.baseUrl,
      token,
      searchTerm: task.search_term,
      limit: task.limit,
      page: task.page,
      timeoutMs,
      signal: context.signal,
    });
    const result = {
      task,
      data: page.data,
      nextTasks: nextPages(task, page.page, page.total_pages),
      // Every page of the search states the same figures, under the key of its first page.
      expect: { scope: taskKey({ ...task, page: 1 }), records: page.total_results, pages: pagesOf(page) },
    };
    const faults = pageFaults(page);
    if (faults.length > 0)
      throw IncompleteResultError.forPage(labelTask(task, context.taskKey), faults, result);
    return result;
  };
}
