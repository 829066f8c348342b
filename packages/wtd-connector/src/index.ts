export { parseRetryAfter } from '@capital/core';
export type { StockSearchRequest } from './client.js';
export { fetchStockSearchPage, worldTradingDataUrl } from './client.js';
export { connector } from './connector.js';
export type { StockSearchHandlerOptions } from './handler.js';
export { createStockSearchHandler, stockSearchPages } from './handler.js';
export { pageFaults, pagesOf } from './page-faults.js';
export type { Listing, StockSearchPage } from './schema.js';
export { listingSchema, stockSearchPageSchema } from './schema.js';
export type { StockSearchTask, StockSearchTaskOptions } from './task.js';
export {
  checkStockSearchTask,
  defaultCredentialReference,
  stockSearchTask,
  stockSearchType,
} from './task.js';
