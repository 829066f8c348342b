import type { CredentialResolver, Handler, TaskResult } from '@capital/core';
import { NonRetryableError } from '@capital/core';
import { fetchStockSearchPage } from './client.js';
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
 * The handler of stock-search tasks: fetches the task's page and returns its listings and, while
 * `page < total_pages`, the task of the next page.
 *
 * @example
 * const handler = createStockSearchHandler({ baseUrl: emulator.url, resolveCredential: createCredentialResolver() });
 * of(stockSearchTask({ searchTerm: 'new york' })).pipe(crawl(handler))
 */
export function createStockSearchHandler(options: StockSearchHandlerOptions): Handler<StockSearchTask, Listing> {
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
    const nextTasks = page.page < page.total_pages ? [{ ...task, page: page.page + 1 }] : [];
    return { task, data: page.data, nextTasks };
  };
}
