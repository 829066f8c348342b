import type { CredentialResolver, Handler, TaskResult } from '@capital/core';
import {
  IncompleteResultError,
  isPaginationError,
  labelTask,
  NonRetryableError,
  type Paginator,
  pageNumber,
  taskKey,
} from '@capital/core';
import { fetchStockSearchPage } from './client.js';
import { pageFaults, pagesOf } from './page-faults.js';
import type { Listing, StockSearchPage } from './schema.js';
import type { StockSearchTask } from './task.js';

/** A stock-search task's fields: all but `page` and `pagination` name its search. */
const taskFields = new Set(['type', 'search_term', 'limit', 'page', 'credentials', 'pagination']);

/** The fields that name a search (its scope's cache key). */
type SearchName = Pick<StockSearchTask, 'type' | 'search_term' | 'limit' | 'credentials'>;

/** Whether every field of the task is a stock-search task's (checked without an array of its keys). */
function onlyTaskFields(task: StockSearchTask): boolean {
  for (const field in task) if (!taskFields.has(field)) return false;
  return true;
}

function sameSearch(one: SearchName, other: SearchName): boolean {
  return (
    one.type === other.type &&
    one.search_term === other.search_term &&
    one.limit === other.limit &&
    one.credentials === other.credentials
  );
}

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
 * The search's pages: `?page=N` until `total_pages`. Page 1 knows the totals, so it names every
 * other page at once (`fanOut`) and they are fetched concurrently; each page is then checked
 * against page 1's totals (full unless last, the last bringing the search to `total_results`).
 * The page size is the task's `limit`, hence one paginator per limit.
 */
export function stockSearchPages(limit: number): Paginator<StockSearchTask, StockSearchPage, Listing> {
  return pageNumber<StockSearchTask, StockSearchPage, Listing>({
    stop: 'total-pages',
    totalPages: (body) => body.total_pages,
    totalRecords: (body) => body.total_results,
    pageSize: limit,
    fanOut: true,
    recordKey: (listing) => listing.symbol,
  });
}

/**
 * The handler of stock-search tasks: fetches the task's page and returns its listings, the
 * pages that follow it (see {@link stockSearchPages}), and what the whole search must hold by the
 * page's totals (`expect`, scoped to the search's first page), which the run checks its output
 * against. A page the paginator refuses, or whose figures contradict themselves (see
 * {@link pageFaults}), fails with a retryable `IncompleteResultError` that keeps the page, for
 * runs that tolerate it: the API has been seen to lie, and a retry may get the truth.
 *
 * @example
 * const handler = createStockSearchHandler({ baseUrl: emulator.url, resolveCredential: createCredentialResolver() });
 * of(stockSearchTask({ searchTerm: 'new york' })).pipe(crawl(handler))
 */
export function createStockSearchHandler(
  options: StockSearchHandlerOptions,
): Handler<StockSearchTask, Listing> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  // One paginator per page size, built once: building one checks its options, on every page.
  const paginators = new Map<number, Paginator<StockSearchTask, StockSearchPage, Listing>>();
  const paginatorFor = (limit: number): Paginator<StockSearchTask, StockSearchPage, Listing> => {
    let paginator = paginators.get(limit);
    if (paginator === undefined) {
      paginator = stockSearchPages(limit);
      // Tasks may come from a queue: whatever limits they carry, the cache stays small.
      if (paginators.size >= 64) paginators.clear();
      paginators.set(limit, paginator);
    }
    return paginator;
  };
  // The scope of a search's pages, the key of its first page: hashed once a search, not a page.
  const scopes = new Map<string, string>();
  // The last search's scope, for the next page of the same search without building its name
  // (a run's pages are one search's): ~9 µs a page in place, against ~3.
  let last: (SearchName & { readonly scope: string }) | undefined;
  const scopeOf = (task: StockSearchTask): string => {
    // A task with a field the name leaves out (no valid one has) is never taken from the cache.
    const named = onlyTaskFields(task);
    if (named && last !== undefined && sameSearch(last, task)) return last.scope;
    const name = named
      ? JSON.stringify([task.type, task.search_term, task.limit, task.credentials])
      : undefined;
    let scope = name === undefined ? undefined : scopes.get(name);
    if (scope === undefined) {
      const { pagination: _, ...search } = task;
      scope = taskKey({ ...search, page: 1 });
      if (name !== undefined) {
        // Tasks may come from a queue: whatever searches they carry, the cache stays small.
        if (scopes.size >= 64) scopes.clear();
        scopes.set(name, scope);
      }
    }
    if (named) {
      last = {
        type: task.type,
        search_term: task.search_term,
        limit: task.limit,
        credentials: task.credentials,
        scope,
      };
    }
    return scope;
  };
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
      permit: context.permit,
    });
    const faults = pageFaults(page);
    let nextTasks: StockSearchTask[] = [];
    try {
      nextTasks = paginatorFor(task.limit).next(task, { records: page.data, body: page });
    } catch (error) {
      // A task whose chain state is not the paginator's is broken, not the page: no retry helps.
      if (!isPaginationError(error) || error.code === 'invalid-state') throw error;
      faults.push(error.reason);
    }
    const result = {
      task,
      data: page.data,
      nextTasks: faults.length > 0 ? [] : nextTasks,
      // Every page of the search states the same figures, under the key of its first page.
      expect: { scope: scopeOf(task), records: page.total_results, pages: pagesOf(page) },
    };
    if (faults.length > 0)
      throw IncompleteResultError.forPage(labelTask(task, context.taskKey), faults, result);
    return result;
  };
}
