import { InvalidTaskError, type PaginationState, type Task } from '@capital/core';

/** The `type` of every stock-search task, so its keys never clash with another connector's. */
export const stockSearchType = 'wtd.stock_search';

/** The default credential reference: the token comes from `WTD_API_TOKEN` where the task runs. */
export const defaultCredentialReference = 'env:WTD_API_TOKEN';

/** One page of World Trading Data's stock search. Carries a credential reference, never a token. */
export type StockSearchTask = {
  readonly type: typeof stockSearchType;
  readonly search_term: string;
  readonly limit: number;
  readonly page: number;
  /** Where the worker finds the token: `env:NAME`, or a scheme its resolver serves. */
  readonly credentials: string;
  /** The chain's state, set by the paginator on the pages after the first. */
  readonly pagination?: PaginationState;
};

/** Options of {@link stockSearchTask}. */
export type StockSearchTaskOptions = {
  readonly searchTerm: string;
  /**
   * Listings per page (the API's maximum).
   * @default 50
   */
  readonly limit?: number;
  /** @default 1 */
  readonly page?: number;
  /** @default 'env:WTD_API_TOKEN' */
  readonly credentials?: string;
};

/**
 * The task for one page of a stock search.
 *
 * @example stockSearchTask({ searchTerm: 'new york' }) // page 1, 50 per page
 */
export function stockSearchTask(options: StockSearchTaskOptions): StockSearchTask {
  return {
    type: stockSearchType,
    search_term: options.searchTerm,
    limit: options.limit ?? 50,
    page: options.page ?? 1,
    credentials: options.credentials ?? defaultCredentialReference,
  };
}

const taskFields = ['type', 'search_term', 'limit', 'page', 'credentials'];
/** Set by the paginator; checked in full by it (`invalid-state`) when the page is fetched. */
const optionalFields = ['pagination'];

/**
 * Checks a stock-search task from outside the process (a queue's job): exactly its five fields
 * (and the paginator's `pagination` object),
 * a search term of 1 to 200 characters, a page size the API accepts (1 to 50), a page from 1 to
 * 100 000, and a credential reference (`env:NAME`, `vault:NAME`…).
 *
 * @throws {InvalidTaskError} naming the first field that is wrong (never its value).
 * @example checkStockSearchTask(job.data.task) // the task, typed
 */
export function checkStockSearchTask(task: Task): StockSearchTask {
  const fail = (problem: string): never => {
    throw new InvalidTaskError(`Not a ${stockSearchType} task: ${problem}`);
  };
  const fields = Object.keys(task);
  if (
    !taskFields.every((field) => fields.includes(field)) ||
    !fields.every((field) => taskFields.includes(field) || optionalFields.includes(field))
  ) {
    fail(`it must have exactly the fields ${taskFields.join(', ')} (and may have pagination).`);
  }
  const state = (task as Record<string, unknown>).pagination;
  if (state !== undefined && (typeof state !== 'object' || state === null || Array.isArray(state)))
    fail('`pagination` is not an object.');
  const { type, search_term, limit, page, credentials } = task as Record<string, unknown>;
  if (type !== stockSearchType) fail('`type` is another.');
  if (typeof search_term !== 'string' || search_term.length === 0 || search_term.length > 200)
    fail('`search_term` is not a text of 1 to 200 characters.');
  if (!isWholeNumber(limit, 1, 50)) fail('`limit` is not a whole number from 1 to 50.');
  if (!isWholeNumber(page, 1, 100_000)) fail('`page` is not a whole number from 1 to 100000.');
  // Any scheme a resolver may serve (`env:`, or a source such as `vault:`); the worker allows only
  // the references its operator named.
  if (typeof credentials !== 'string' || !/^[a-z][a-z0-9+.-]{0,15}:[A-Za-z0-9_./-]{1,128}$/.test(credentials))
    fail('`credentials` is not a reference such as env:WTD_API_TOKEN.');
  return task as StockSearchTask;
}

function isWholeNumber(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
