import { InvalidOptionError } from '../errors.js';
import type { Task } from '../task.js';
import { checkPolicy, numberedMore, stopReason } from './numbered-internals.js';
import type { NumberedStopPolicy, Page, PageStep, Paginator, PaginatorBaseOptions } from './paginator.js';
import {
  contentOf,
  continueChain,
  endChain,
  examine,
  resolveBase,
  stateError,
} from './paginator-internals.js';

/** Options of {@link offset}. */
export type OffsetOptions<B, R> = PaginatorBaseOptions<B, R> & {
  /** When the chain ends. Every other accessor given is a cross-check: a page that contradicts it fails. */
  readonly stop: NumberedStopPolicy;
  /**
   * The task field (and request parameter) that holds the offset.
   * @default 'offset'
   */
  readonly param?: string;
  /**
   * The offset of the first page, where a task has none.
   * @default 0
   */
  readonly start?: number;
  /**
   * Records per full page (the `limit` you send): needed by `'short-page'`; otherwise it lets the
   * expected pages be derived from the total records.
   * @default none
   */
  readonly pageSize?: number;
};

/**
 * A paginator for `?offset=N&limit=K` APIs. The next offset is this one plus the records the page
 * really holds, so a server that caps `limit` below what was asked skips nothing. Offsets only
 * grow, so pages are compared by content: a source that repeats a page fails with `cycle`.
 *
 * @example
 * const rows = offset<OrdersTask, OrdersBody>({ stop: 'total-records', totalRecords: (body) => body.count });
 * // in the handler:
 * const body = await get('/orders', { ...rows.params(task), limit: 100 });
 * return { task, data: body.items, nextTasks: rows.next(task, { records: body.items, body }) };
 * @throws {InvalidOptionError} when the stop policy lacks the accessor it reads.
 */
export function offset<T extends Task, B = unknown, R = unknown>(
  options: OffsetOptions<B, R>,
): Paginator<T, B, R> {
  const param = options.param ?? 'offset';
  const start = options.start ?? 0;
  if (!(Number.isSafeInteger(start) && start >= 0)) {
    throw new InvalidOptionError('start', `must be a whole number ≥ 0, not ${start}`);
  }
  const base = resolveBase(options, param);
  checkPolicy(options);
  const current = (task: T): number => {
    const value = task[param];
    if (value === undefined) return start;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw stateError(task, param, 'is not a whole number ≥ 0');
    }
    return value;
  };
  const step = (task: T, page: Page<B, R>): PageStep<T> => {
    const at = current(task);
    const context = examine(task, page, base);
    // As in pageNumber: a page that says more follow is followed, whatever the policy.
    const more =
      numberedMore(options.stop, context, options.pageSize) ||
      (context.hasMore === true && context.records > 0);
    if (!more) {
      return endChain(context, stopReason(options.stop), options.pageSize);
    }
    const position = context.records === 0 ? undefined : contentOf(page.records, options.recordKey);
    return continueChain(
      context,
      base,
      position,
      (state) => ({ ...task, [param]: at + context.records, [base.stateField]: state }) as T,
      options.pageSize,
    );
  };
  return {
    step,
    next: (task, page) => step(task, page).nextTasks,
    params: (task) => ({ [param]: current(task) }),
  };
}
