import { InvalidOptionError } from '../errors.js';
import type { Task } from '../task.js';
import { advance } from './brent-internals.js';
import type { Page, PageAccessor, PageStep, Paginator, PaginatorBaseOptions } from './paginator.js';
import { continueChain, endChain, examine, resolveBase, stateError } from './paginator-internals.js';

/**
 * When a cursor chain ends:
 * - `'has-more'` — at the first page whose `hasMore` is false (a page that says more follow
 *   but gives no cursor fails with `ended-early`);
 * - `'no-cursor'` — at the first page with no next cursor (null, absent or `''`).
 */
export type CursorStopPolicy = 'has-more' | 'no-cursor';

/** Options of {@link cursor}. */
export type CursorOptions<B, R> = PaginatorBaseOptions<B, R> & {
  /** When the chain ends. Every other accessor given is a cross-check: a page that contradicts it fails. */
  readonly stop: CursorStopPolicy;
  /**
   * The task field (and request parameter) that carries the cursor; absent on the first page.
   * Spread {@link Paginator.params} into the query or into the JSON body, wherever the API wants it.
   * @default 'cursor'
   */
  readonly param?: string;
  /**
   * The next page's cursor, read from the page: a body field (`body.next_cursor`), the last
   * record's id (`body.data.at(-1)?.id`), or a header (`page.headers`). Null, absent or `''`: none.
   */
  readonly from: PageAccessor<B, R, string | number>;
};

/**
 * A paginator for cursor APIs: each page names the cursor of the next. Every cursor of the chain
 * is checked against the earlier ones (Brent's algorithm, constant state in the task), so a
 * cursor that comes back after any number of pages fails with `cycle` instead of looping.
 *
 * @example
 * // Stripe: { object: 'list', has_more, data: [{ id, … }] }, next page `starting_after=<last id>`
 * const charges = cursor<ChargesTask, StripeList<Charge>, Charge>({
 *   stop: 'has-more',
 *   param: 'starting_after',
 *   from: (body) => body.data.at(-1)?.id,
 *   hasMore: (body) => body.has_more,
 *   recordKey: (charge) => charge.id,
 * });
 * // in the handler:
 * const body = await get('/v1/charges', { limit: 100, ...charges.params(task) });
 * return { task, data: body.data, nextTasks: charges.next(task, { records: body.data, body }) };
 * @throws {InvalidOptionError} when the stop policy lacks the accessor it reads.
 */
export function cursor<T extends Task, B = unknown, R = unknown>(
  options: CursorOptions<B, R>,
): Paginator<T, B, R> {
  const param = options.param ?? 'cursor';
  const base = resolveBase(options, param);
  if (options.stop !== 'has-more' && options.stop !== 'no-cursor') {
    throw new InvalidOptionError('stop', `unknown stop policy '${String(options.stop)}'`);
  }
  if (options.stop === 'has-more' && options.hasMore === undefined) {
    throw new InvalidOptionError('hasMore', "the stop policy 'has-more' reads it");
  }
  const current = (task: T): string | number | undefined => {
    const value = task[param];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number')
      throw stateError(task, param, 'is not a string or number');
    return value;
  };
  const step = (task: T, page: Page<B, R>): PageStep<T> => {
    const context = examine(task, page, base);
    const next = options.from(page.body, page);
    if (next !== null && next !== undefined && typeof next !== 'string' && typeof next !== 'number') {
      throw context.fail('invalid-page', 'the next cursor is not a string or number');
    }
    const hasCursor = next !== null && next !== undefined && next !== '';
    const more = options.stop === 'has-more' ? context.hasMore === true : hasCursor;
    if (!more)
      return endChain(
        context,
        options.stop === 'has-more' ? 'the page says no more follow' : 'the page has no next cursor',
      );
    if (!hasCursor) throw context.fail('ended-early', 'the page says more follow but gives no next cursor');
    // The first page compares its own cursor (if the seed had one) with the next: a source that
    // answers page 1 with the cursor of page 1 is caught at once.
    const own = current(task);
    const state =
      context.state.page === 1 && own !== undefined
        ? { ...context.state, ...advance(context.state, String(own), context.fail) }
        : context.state;
    return continueChain(
      { ...context, state },
      base,
      String(next),
      (nextState) => ({ ...task, [param]: next, [base.stateField]: nextState }) as T,
    );
  };
  return {
    step,
    next: (task, page) => step(task, page).nextTasks,
    params: (task) => {
      const value = current(task);
      return value === undefined ? {} : { [param]: value };
    },
  };
}
