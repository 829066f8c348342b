import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { cursor } from './cursor.js';
import { PaginationError } from './pagination-error.js';
import type { Paginator } from './paginator.js';

type Charge = { id: string };
type StripeList = { object: 'list'; has_more: boolean; data: Charge[] };
type ChargesTask = { type: 'stripe.charges'; starting_after?: string };
type FeedTask = { type: 'feed'; cursor?: string };
type FeedBody = { items: number[]; next: string | null };

const charges = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({ id: `ch_${from + index}` }));

const stripe = () =>
  cursor<ChargesTask, StripeList, Charge>({
    stop: 'has-more',
    param: 'starting_after',
    from: (body) => body.data.at(-1)?.id,
    hasMore: (body) => body.has_more,
    recordKey: (charge) => charge.id,
  });

/** A feed whose page `n` names `nextOf(n)`; returns the pages run, or the error. */
function follow(
  paginator: Paginator<FeedTask, FeedBody>,
  nextOf: (n: number) => string | null,
  maxPages = 100_000,
) {
  let task: FeedTask | undefined = { type: 'feed' };
  let pages = 0;
  while (task !== undefined && pages < maxPages) {
    pages += 1;
    const body: FeedBody = { items: [pages], next: nextOf(pages) };
    [task] = paginator.next(task, { records: body.items, body });
  }
  return pages;
}

const feed = () => cursor<FeedTask, FeedBody>({ stop: 'no-cursor', from: (body) => body.next });

const failureOf = (action: () => unknown): PaginationError => {
  try {
    action();
  } catch (error) {
    if (error instanceof PaginationError) return error;
    throw error;
  }
  throw new Error('expected a PaginationError');
};

describe('cursor', () => {
  it("pages Stripe's lists with starting_after the last id, until has_more is false", () => {
    const paginator = stripe();
    const first: ChargesTask = { type: 'stripe.charges' };
    expect(paginator.params(first)).toEqual({});
    const [second] = paginator.next(first, {
      records: charges(0, 3),
      body: { object: 'list', has_more: true, data: charges(0, 3) },
    });
    expect(second).toMatchObject({ type: 'stripe.charges', starting_after: 'ch_2' });
    expect(paginator.params(second as ChargesTask)).toEqual({ starting_after: 'ch_2' });
    const last = paginator.step(second as ChargesTask, {
      records: charges(3, 1),
      body: { object: 'list', has_more: false, data: charges(3, 1) },
    });
    expect(last).toEqual({ nextTasks: [], done: true });
  });

  it("stops at the first page without a cursor under 'no-cursor' (null, absent or empty)", () => {
    expect(follow(feed(), (n) => (n < 4 ? `c${n}` : null))).toBe(4);
    expect(follow(feed(), (n) => (n < 2 ? `c${n}` : ''))).toBe(2);
  });

  it('fails with ended-early when a page says more follow but gives no cursor', () => {
    const error = failureOf(() =>
      stripe().next(
        { type: 'stripe.charges' },
        { records: [], body: { object: 'list', has_more: true, data: [] } },
      ),
    );
    expect(error.code).toBe('ended-early');
  });

  it('fails with cycle at once when a page echoes its own cursor, at any page', () => {
    // Page 6 was fetched with c5 and names c5 again. Brent's mark is c4 then, so the mark alone
    // would see the echo only at page 9.
    const error = failureOf(() => follow(feed(), (n) => (n < 6 ? `c${n}` : 'c5')));
    expect(error.code).toBe('cycle');
    expect(error.page).toBe(6);
  });

  it.each([1, 2, 37, 1000])(
    'fails with cycle when the cursor comes back after %i pages, within three times the pages',
    (length) => {
      // Cursors c1 … c<length>, then back to c1: a cycle of `length` pages from page 1.
      const error = failureOf(() => follow(feed(), (n) => `c${((n - 1) % length) + 1}`));
      expect(error.code).toBe('cycle');
      expect(error.page).toBeLessThanOrEqual(3 * (length + 1));
    },
  );

  it('fails with cycle when a long chain comes back to a cursor from its middle', () => {
    // 5,000 fresh cursors, then a loop back to cursor 3,000: 2,001 pages a round.
    const error = failureOf(() => follow(feed(), (n) => `c${n <= 5000 ? n : 3000 + ((n - 5001) % 2001)}`));
    expect(error.code).toBe('cycle');
    expect(error.page).toBeLessThanOrEqual(3 * 5001);
  });

  it('carries a chain state of constant size, however long the chain', () => {
    const paginator = feed();
    let task: FeedTask = { type: 'feed' };
    const sizes: number[] = [];
    for (let n = 1; n <= 10_000; n += 1) {
      [task] = paginator.next(task, { records: [n], body: { items: [n], next: `cursor-${n}` } }) as [
        FeedTask,
      ];
      if (n === 100 || n === 10_000) sizes.push(JSON.stringify(task).length);
    }
    // Only the digits of the counters and the cursor grow.
    expect((sizes[1] as number) - (sizes[0] as number)).toBeLessThanOrEqual(12);
  });

  it('fails with max-pages when the chain would grow past maxPages', () => {
    const paginator = cursor<FeedTask, FeedBody>({
      stop: 'no-cursor',
      from: (body) => body.next,
      maxPages: 3,
    });
    const error = failureOf(() => follow(paginator, (n) => `c${n}`));
    expect(error).toMatchObject({ code: 'max-pages', page: 3 });
  });

  it('fails with invalid-page on a cursor that is not a string or number, and never shows the cursor', () => {
    const paginator = cursor<FeedTask, { next: unknown }>({
      stop: 'no-cursor',
      from: (body) => body.next as string,
    });
    expect(failureOf(() => paginator.next({ type: 'feed' }, { records: [1], body: { next: {} } })).code).toBe(
      'invalid-page',
    );
    const error = failureOf(() => follow(feed(), () => 'secret-cursor-value'));
    expect(error.message).not.toContain('secret-cursor-value');
  });

  it('accepts numeric cursors', () => {
    const paginator = cursor<{ type: 'n'; since?: number }, { next: number | null }>({
      stop: 'no-cursor',
      param: 'since',
      from: (body) => body.next,
    });
    const [next] = paginator.next({ type: 'n' }, { records: [1], body: { next: 42 } });
    expect(next).toMatchObject({ since: 42 });
  });

  it('refuses has-more without a hasMore accessor', () => {
    expect(() => cursor({ stop: 'has-more', from: () => 'x' })).toThrow(InvalidOptionError);
  });
});
