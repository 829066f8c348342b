import type { CredentialResolver, Handler, TaskResult } from '@capital/core';
import { cursor, NonRetryableError } from '@capital/core';
import { fetchStripeList } from './client.js';
import type { StripeList, StripeObject } from './schema.js';
import { invoiceLinesTask, listPath, type StripeListTask } from './task.js';

/** Options of {@link createStripeHandler}. */
export type StripeHandlerOptions = {
  /** The API's base URL: `https://api.stripe.com`, or the emulator's. */
  readonly baseUrl: string;
  /** Resolves the task's credential reference to a secret key. */
  readonly resolveCredential: CredentialResolver;
  /**
   * Per request, in ms.
   * @default 30_000
   */
  readonly timeoutMs?: number;
};

/**
 * Stripe's cursor: the next page starts after the last id of this one, and `has_more` says
 * whether there is one. The paginator also checks that no id repeats across pages and that no
 * cursor comes back, so a misbehaving list fails instead of looping.
 */
export const stripeListPaginator = cursor<StripeListTask, StripeList, StripeObject>({
  stop: 'has-more',
  param: 'starting_after',
  from: (body) => body.data.at(-1)?.id,
  hasMore: (body) => body.has_more,
  recordKey: (record) => record.id,
});

/**
 * The request's query: the page size, the cursor and the `created[gte]` filter. Stripe's
 * bracketed parameter names are sent as they are (`created%5Bgte%5D`), as its SDKs do.
 */
export function listQuery(task: StripeListTask): Record<string, string | number> {
  return {
    limit: task.limit,
    ...(task.created_gte === undefined ? {} : { 'created[gte]': task.created_gte }),
    ...stripeListPaginator.params(task),
  };
}

/**
 * The tasks after a page: its list's next page first, then — for invoices with lines — one
 * child task per invoice for `/v1/invoices/{id}/lines`. The crawl's frontier is FIFO, so the
 * invoice chain advances only after the lines queued before it: at most about two pages of
 * child tasks wait at any time, whatever the number of invoices.
 */
export function nextTasks(task: StripeListTask, page: StripeList): StripeListTask[] {
  const next = stripeListPaginator.next(task, { records: page.data, body: page });
  if (task.list !== 'invoices' || task.with_lines !== true) return next;
  return [...next, ...page.data.map((invoice) => invoiceLinesTask(task, invoice.id))];
}

/**
 * The records of a page. A line item keeps Stripe's fields, and gets `invoice` (its parent's
 * id) where the API version leaves it out, so that a stored line always names its invoice.
 */
export function pageRecords(task: StripeListTask, page: StripeList): StripeObject[] {
  if (task.list !== 'invoice_lines') return page.data;
  const invoice = task.invoice ?? '';
  return page.data.map((line) => (typeof line.invoice === 'string' ? line : { ...line, invoice }));
}

/**
 * The handler of Stripe list tasks: fetches the task's page with the secret key its credential
 * reference resolves to, and returns the page's objects and the tasks that follow it.
 *
 * @example
 * const handler = createStripeHandler({ baseUrl: emulator.url, resolveCredential: createCredentialResolver() });
 * of(stripeListTask({ object: 'charges' })).pipe(crawl(handler))
 */
export function createStripeHandler(options: StripeHandlerOptions): Handler<StripeListTask, StripeObject> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return async (task, context): Promise<TaskResult<StripeListTask, StripeObject>> => {
    if (task.list === 'invoice_lines' && !task.invoice) {
      throw new NonRetryableError('An invoice_lines task names no invoice.');
    }
    let token: string;
    try {
      token = options.resolveCredential(task.credentials);
    } catch (error) {
      throw new NonRetryableError((error as Error).message, { cause: error });
    }
    const page = await fetchStripeList({
      baseUrl: options.baseUrl,
      token,
      path: listPath(task),
      query: listQuery(task),
      timeoutMs,
      signal: context.signal,
      permit: context.permit,
    });
    return { task, data: pageRecords(task, page), nextTasks: nextTasks(task, page) };
  };
}
