import type { Connector } from '@capital/core';
import { parseRate } from '@capital/core';
import { createStockSearchHandler } from './handler.js';
import type { Listing } from './schema.js';
import {
  checkStockSearchTask,
  defaultCredentialReference,
  type StockSearchTask,
  stockSearchTask,
} from './task.js';

/** The API has closed, so no public URL is left to default to: the emulator's usual port. */
const defaultBaseUrl = 'http://127.0.0.1:8080';

/**
 * World Trading Data's stock search as a Capital connector: `capital run wtd --search "new york"`.
 * The public API has closed; `startEmulator` serves a faithful copy on loopback, from the
 * `./testing` entry, which it imports only when called: the emulator is test code, and a
 * production run (or a program that imports this package) loads none of it.
 */
export const connector: Connector<StockSearchTask, Listing> = {
  name: 'wtd',
  description: "World Trading Data's stock search: every listing whose name or symbol matches a term.",
  params: [{ name: 'search', description: 'the search term, e.g. "new york"', required: true }],
  credential: { envVar: 'WTD_API_TOKEN', reference: defaultCredentialReference },
  defaultBaseUrl,
  defaultRate: '9/1s',
  seeds: (params) => [stockSearchTask({ searchTerm: params.search ?? '' })],
  checkTask: checkStockSearchTask,
  createHandler: (runtime) =>
    createStockSearchHandler({
      baseUrl: runtime.baseUrl ?? defaultBaseUrl,
      resolveCredential: runtime.resolveCredential,
      ...(runtime.timeoutMs === undefined ? {} : { timeoutMs: runtime.timeoutMs }),
    }),
  // One budget per token (the API limits each account), whatever reference leads to it.
  limiterKey: (task, keys) => keys.forCredential('wtd', task.credentials),
  recordKey: (listing) => listing.symbol,
  startEmulator: async ({ rateLimit, ...options } = {}) => {
    const { startEmulator } = await import('./testing.js');
    const rate = typeof rateLimit === 'string' ? parseRate(rateLimit, 'rateLimit') : undefined;
    return startEmulator({
      ...options,
      ...(rateLimit === undefined
        ? {}
        : { rateLimit: rate ? { limit: rate.limit, windowMs: rate.periodMs } : false }),
    });
  },
};
