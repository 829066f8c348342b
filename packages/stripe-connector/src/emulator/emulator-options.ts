import type { EmulatorServerOptions, FaultOptions, Route } from '@capital/core/testing';
import { bearerAuth } from '@capital/core/testing';
import { generateAccount, type StripeAccount } from './dataset.js';
import { listRoute } from './list-route.js';
import { stripeErrorResponse } from './stripe-errors.js';

/** A rolling-window limit: `limit` requests in any `windowMs`. */
export type WindowLimit = { readonly limit: number; readonly windowMs: number };

/** Options of `startEmulator`. */
export type StripeEmulatorOptions = {
  /**
   * Secret keys accepted as `Authorization: Bearer`; any other is answered 401.
   * @default ['sk_test_emulator']
   */
  readonly tokens?: readonly string[];
  /**
   * The account served.
   * @default generateAccount()
   */
  readonly account?: StripeAccount;
  /**
   * The account's global limit, over every endpoint, per key; `false` for none.
   * @default { limit: 25, windowMs: 1000 } (a sandbox's)
   */
  readonly globalLimit?: WindowLimit | false;
  /**
   * Each endpoint's own limit, per key, counted besides the global one; `false` for none.
   * @default { limit: 25, windowMs: 1000 }
   */
  readonly endpointLimit?: WindowLimit | false;
  /**
   * Requests of one key in flight at once; `false` for none.
   * @default 8
   */
  readonly concurrency?: number | false;
  /**
   * Faults injected into good answers (5xx, broken bodies, spurious 429s, resets).
   * @default {}
   */
  readonly faults?: FaultOptions;
  /**
   * Delay before every answer, in ms.
   * @default 0
   */
  readonly latencyMs?: number;
  /** @default 1 */
  readonly seed?: number;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Loopback only. @default '127.0.0.1' */
  readonly host?: string;
  /** Clock of the limits, in ms. @default performance.now */
  readonly now?: () => number;
  /**
   * Whether the stats keep every arrival time per key.
   * @default true
   */
  readonly recordArrivals?: boolean;
};

/** The route names, as the stats and the per-endpoint limit know them. */
export const stripeRoutes = {
  customers: 'GET /v1/customers',
  charges: 'GET /v1/charges',
  invoices: 'GET /v1/invoices',
  balance_transactions: 'GET /v1/balance_transactions',
  invoice_lines: 'GET /v1/invoices/:id/lines',
} as const;

/**
 * The emulator kit's options for Stripe: the four top-level lists and invoice lines, bearer
 * keys, the global and per-endpoint layers and the concurrency limit, Stripe's error shape.
 */
export function toServerOptions(options: StripeEmulatorOptions): EmulatorServerOptions {
  const account = options.account ?? generateAccount();
  const { globalLimit = { limit: 25, windowMs: 1000 }, endpointLimit = { limit: 25, windowMs: 1000 } } =
    options;
  const concurrency = options.concurrency ?? 8;
  const routes: Route[] = [
    listRoute(stripeRoutes.customers, '/v1/customers', () => account.customers),
    listRoute(stripeRoutes.charges, '/v1/charges', () => account.charges),
    listRoute(stripeRoutes.invoices, '/v1/invoices', () => account.invoices),
    listRoute(
      stripeRoutes.balance_transactions,
      '/v1/balance_transactions',
      () => account.balance_transactions,
    ),
    listRoute(stripeRoutes.invoice_lines, '/v1/invoices/:id/lines', (request) =>
      account.lines.get(request.params.id ?? ''),
    ),
  ];
  return {
    routes,
    auth: bearerAuth({ tokens: options.tokens ?? ['sk_test_emulator'] }),
    rateLimits: {
      layers: [
        ...(globalLimit === false ? [] : [{ name: 'global', ...globalLimit }]),
        ...(endpointLimit === false ? [] : [{ name: 'endpoint', per: 'route' as const, ...endpointLimit }]),
      ],
      ...(concurrency === false ? {} : { concurrency }),
    },
    errorResponse: stripeErrorResponse,
    ...(options.faults === undefined ? {} : { faults: options.faults }),
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.recordArrivals === undefined ? {} : { recordArrivals: options.recordArrivals }),
  };
}
