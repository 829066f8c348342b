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
  /** Where the worker finds the token, as `env:NAME`. */
  readonly credentials: string;
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
