/**
 * Test helpers of `@capital/wtd-connector`: a local emulator of World Trading Data's closed
 * `stock_search` API, and the dataset it serves.
 *
 * @example
 * import { startEmulator } from '@capital/wtd-connector/testing';
 * const emulator = await startEmulator({ faultRate: 0.1, seed: 7 });
 */

export type { RateLimitDecision, RollingWindowLimiterOptions } from '@capital/core/testing';
export { RollingWindowLimiter } from '@capital/core/testing';
export type { GenerateListingsOptions, Listing } from './emulator/dataset.js';
export { generateListings, searchListings } from './emulator/dataset.js';
export type { EmulatorOptions } from './emulator/emulator-options.js';
export type { EmulatorStats, PageServed } from './emulator/emulator-stats.js';
export type { FaultOptions } from './emulator/faults.js';
export type { RunningEmulator } from './emulator/server.js';
export { STATS_PATH, startEmulator } from './emulator/server.js';
export type { StockSearchPage } from './emulator/stock-search.js';
export { STOCK_SEARCH_PATH } from './emulator/stock-search.js';
