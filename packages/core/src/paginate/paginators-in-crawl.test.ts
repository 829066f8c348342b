import { lastValueFrom, of, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TaskFailedError } from '../errors.js';
import { crawl } from '../operators/crawl.js';
import type { Handler } from '../task.js';
import { cursor } from './cursor.js';
import { pageNumber } from './page-number.js';
import { PaginationError } from './pagination-error.js';
import type { PaginationState } from './paginator.js';

/** A Stripe-like list of `total` charges, newest first, `limit` a page; `loopAt` sends it back to the start. */
function stripeList(total: number, loopAt?: string) {
  const ids = Array.from({ length: total }, (_, index) => `ch_${total - index}`);
  return (startingAfter: string | undefined, limit: number) => {
    const start =
      startingAfter === undefined || startingAfter === loopAt ? 0 : ids.indexOf(startingAfter) + 1;
    const data = ids.slice(start, start + limit).map((id) => ({ id }));
    return { object: 'list' as const, has_more: start + limit < total, data };
  };
}

type ChargesTask = { type: 'stripe.charges'; starting_after?: string; pagination?: PaginationState };
type Charge = { id: string };

const charges = cursor<ChargesTask, ReturnType<ReturnType<typeof stripeList>>, Charge>({
  stop: 'has-more',
  param: 'starting_after',
  from: (body) => body.data.at(-1)?.id,
  hasMore: (body) => body.has_more,
  recordKey: (charge) => charge.id,
});

const run = (handler: Handler<ChargesTask, Charge>) =>
  lastValueFrom(
    of<ChargesTask>({ type: 'stripe.charges' }).pipe(
      crawl(handler, { retry: false }),
      tap((page) => page.ack()),
      toArray(),
    ),
  );

describe('paginators in a crawl', () => {
  it('crawls a cursor chain with a three-line handler, every record once', async () => {
    const list = stripeList(23);
    const handler: Handler<ChargesTask, Charge> = async (task) => {
      const body = list(charges.params(task).starting_after as string | undefined, 5);
      return { task, data: body.data, nextTasks: charges.next(task, { records: body.data, body }) };
    };
    const pages = await run(handler);
    expect(pages.flatMap((page) => page.data.map((charge) => charge.id))).toEqual(
      Array.from({ length: 23 }, (_, index) => `ch_${23 - index}`),
    );
    expect(pages).toHaveLength(5);
  });

  it('fails the crawl with a TaskFailedError caused by a PaginationError when the cursor loops back', async () => {
    const list = stripeList(40, 'ch_21');
    const handler: Handler<ChargesTask, Charge> = async (task) => {
      const body = list(charges.params(task).starting_after as string | undefined, 5);
      return { task, data: body.data, nextTasks: charges.next(task, { records: body.data, body }) };
    };
    const error = await run(handler).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).cause).toBeInstanceOf(PaginationError);
    expect(((error as TaskFailedError).cause as PaginationError).code).toBe('cycle');
  });

  it('fans out page numbers so the crawl fetches them concurrently', async () => {
    type SearchTask = { type: 'wtd.stock_search'; page?: number; pagination?: PaginationState };
    type Body = { data: number[]; total_pages: number; total_results: number };
    const pages = pageNumber<SearchTask, Body, number>({
      stop: 'total-pages',
      totalPages: (body) => body.total_pages,
      totalRecords: (body) => body.total_results,
      pageSize: 50,
      fanOut: true,
    });
    let inFlight = 0;
    let most = 0;
    const handler: Handler<SearchTask, number> = async (task) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      const number = Number(pages.params(task).page);
      const data = Array.from({ length: number < 9 ? 50 : 31 }, (_, index) => (number - 1) * 50 + index);
      const body = { data, total_pages: 9, total_results: 431 };
      return { task, data, nextTasks: pages.next(task, { records: data, body }) };
    };
    const result = await lastValueFrom(
      of<SearchTask>({ type: 'wtd.stock_search' }).pipe(
        crawl(handler, { retry: false, concurrency: 4 }),
        tap((page) => page.ack()),
        toArray(),
      ),
    );
    expect(result.flatMap((page) => page.data).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 431 }, (_, index) => index),
    );
    expect(most).toBeGreaterThan(1);
  });
});
