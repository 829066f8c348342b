import type { PaginationState } from '@capital/core';

/** The list endpoints the connector reads, by the name `--object` takes. */
export const stripeObjects = ['customers', 'charges', 'invoices', 'balance_transactions'] as const;

/** A top-level list: `--object charges` reads `GET /v1/charges`. */
export type StripeObjectName = (typeof stripeObjects)[number];

/** What a task lists: a top-level object, or the line items of one invoice. */
export type StripeListName = StripeObjectName | 'invoice_lines';

/** The default credential reference: the secret key comes from `STRIPE_API_KEY` where the task runs. */
export const defaultCredentialReference = 'env:STRIPE_API_KEY';

/**
 * One page of a Stripe list. Plain JSON, so any worker can run it; carries a credential
 * reference, never a key. `type` is `stripe.<list>` so that each list's pages (and its
 * PostgreSQL table, named after the seed's type) are its own.
 */
export type StripeListTask = {
  readonly type: `stripe.${StripeListName}`;
  readonly list: StripeListName;
  /** Objects per page, 1–100. */
  readonly limit: number;
  /** Where the worker finds the secret key, as `env:NAME`. */
  readonly credentials: string;
  /** Only objects created at or after this Unix time (seconds): `created[gte]`. */
  readonly created_gte?: number;
  /** For invoices: also fetch each invoice's line items, as child tasks of its page. */
  readonly with_lines?: boolean;
  /** For `invoice_lines`: the invoice whose lines these are. */
  readonly invoice?: string;
  /** The cursor: the last id of the previous page (set by the paginator). */
  readonly starting_after?: string;
  /** The chain's state (set by the paginator). */
  readonly pagination?: PaginationState;
};

/** Options of {@link stripeListTask}. */
export type StripeListTaskOptions = {
  readonly object: StripeObjectName;
  /**
   * Objects per page (Stripe's maximum, so the fewest requests).
   * @default 100
   */
  readonly limit?: number;
  /** Only objects created at or after this Unix time, in seconds. */
  readonly createdGte?: number;
  /**
   * For invoices: fetch every invoice's line items too.
   * @default false
   */
  readonly withLines?: boolean;
  /** @default 'env:STRIPE_API_KEY' */
  readonly credentials?: string;
};

/**
 * The first task of a list.
 *
 * @throws {RangeError} for a limit outside 1–100, a negative or fractional `createdGte`, or
 * `withLines` on anything but invoices.
 * @example stripeListTask({ object: 'charges' }) // GET /v1/charges?limit=100
 */
export function stripeListTask(options: StripeListTaskOptions): StripeListTask {
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) {
    throw new RangeError(`limit must be a whole number from 1 to 100, got ${limit}.`);
  }
  if (!(stripeObjects as readonly string[]).includes(options.object)) {
    throw new RangeError(`object must be one of ${stripeObjects.join(', ')}, got ${String(options.object)}.`);
  }
  const { createdGte } = options;
  if (createdGte !== undefined && !(Number.isSafeInteger(createdGte) && createdGte >= 0)) {
    throw new RangeError(`createdGte must be a Unix time in whole seconds, got ${createdGte}.`);
  }
  if (options.withLines && options.object !== 'invoices') {
    throw new RangeError('withLines applies to invoices only.');
  }
  return {
    type: `stripe.${options.object}`,
    list: options.object,
    limit,
    credentials: options.credentials ?? defaultCredentialReference,
    ...(createdGte === undefined ? {} : { created_gte: createdGte }),
    ...(options.withLines ? { with_lines: true } : {}),
  };
}

/**
 * The first task of one invoice's line items: a child of the invoice page that listed it.
 *
 * @example invoiceLinesTask(invoicesTask, 'in_1') // GET /v1/invoices/in_1/lines?limit=100
 */
export function invoiceLinesTask(parent: StripeListTask, invoiceId: string): StripeListTask {
  return {
    type: 'stripe.invoice_lines',
    list: 'invoice_lines',
    limit: 100,
    credentials: parent.credentials,
    invoice: invoiceId,
  };
}

/** The path of a task's list, e.g. `v1/invoices/in_1/lines` (relative, for ky's `prefixUrl`). */
export function listPath(task: StripeListTask): string {
  if (task.list === 'invoice_lines') return `v1/invoices/${encodeURIComponent(task.invoice ?? '')}/lines`;
  return `v1/${task.list}`;
}
