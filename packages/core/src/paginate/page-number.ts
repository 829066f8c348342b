import { InvalidOptionError } from '../errors.js';
import type { Task } from '../task.js';
import { fanOutStep } from './fan-out-internals.js';
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

/** Options of {@link pageNumber}. */
export type PageNumberOptions<B, R> = PaginatorBaseOptions<B, R> & {
  /** When the chain ends. Every other accessor given is a cross-check: a page that contradicts it fails. */
  readonly stop: NumberedStopPolicy;
  /**
   * The task field (and request parameter) that holds the page number.
   * @default 'page'
   */
  readonly param?: string;
  /**
   * The number of the first page, where a task has none.
   * @default 1
   */
  readonly first?: number;
  /**
   * Records per full page, when the API's is fixed: needed by `'short-page'`; otherwise it lets
   * the expected pages be derived from the total records.
   * @default none
   */
  readonly pageSize?: number;
  /**
   * Name every page at once: page 1 returns pages 2…P as next tasks (P from `totalPages`, or
   * `totalRecords` and `pageSize`), so the crawl fetches them concurrently. Each fanned page is
   * checked on its own (full unless last, totals as page 1's); the last continues as a chain if
   * it says more follow. Needs `pageSize` and a total.
   * @default false
   */
  readonly fanOut?: boolean;
};

/**
 * A paginator for `?page=N` APIs: each page leads to page N+1 until its stop policy says the
 * chain is complete. Page numbers only grow, so pages are compared by content: a source that
 * repeats a page (a last page served forever) fails with `cycle`.
 *
 * @example
 * // World Trading Data: { page, total_pages, total_results, data }
 * const pages = pageNumber<StockSearchTask, SearchBody>({
 *   stop: 'total-pages',
 *   totalPages: (body) => body.total_pages,
 *   totalRecords: (body) => body.total_results,
 * });
 * // in the handler:
 * const body = await fetchPage({ ...pages.params(task), search: task.search_term });
 * // with `fanOut: true, pageSize: 50`, page 1 names every page at once, for a concurrent crawl.
 * return { task, data: body.data, nextTasks: pages.next(task, { records: body.data, body }) };
 * @throws {InvalidOptionError} when the stop policy lacks the accessor it reads.
 */
export function pageNumber<T extends Task, B = unknown, R = unknown>(
  options: PageNumberOptions<B, R>,
): Paginator<T, B, R> {
  const param = options.param ?? 'page';
  const first = options.first ?? 1;
  if (!Number.isSafeInteger(first))
    throw new InvalidOptionError('first', `must be a whole number, not ${first}`);
  const base = resolveBase(options, param);
  checkPolicy(options);
  const fanOutSize = options.fanOut === true ? options.pageSize : undefined;
  if (
    options.fanOut === true &&
    (fanOutSize === undefined || (options.totalPages ?? options.totalRecords) === undefined)
  ) {
    throw new InvalidOptionError('fanOut', 'needs pageSize and totalPages or totalRecords');
  }
  const current = (task: T): number => {
    const value = task[param];
    if (value === undefined) return first;
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      throw stateError(task, param, 'is not a whole number');
    return value;
  };
  // A task without chain state that names a later page (a seed at page 3, a page run on its own)
  // is that page of its chain, not the first: with a fixed page size its place is known.
  const positioned = (task: T, number: number): T =>
    task[base.stateField] !== undefined || number === first || options.pageSize === undefined
      ? task
      : ({
          ...task,
          [base.stateField]: {
            page: number - first + 1,
            records: (number - first) * options.pageSize,
            power: 1,
            steps: 0,
          },
        } as T);
  const step = (task: T, page: Page<B, R>): PageStep<T> => {
    const number = current(task);
    const context = examine(positioned(task, number), page, base);
    const fanned =
      fanOutSize === undefined
        ? undefined
        : fanOutStep(
            context,
            base,
            fanOutSize,
            (chainPage, state) =>
              ({ ...task, [param]: number + chainPage - context.state.page, [base.stateField]: state }) as T,
          );
    if (fanned !== undefined) return fanned;
    // A page that says more follow is followed, whatever the policy: a short page or a reached
    // total with `has_more: true` is a source that caps pages or grew; the next page decides.
    const more =
      numberedMore(options.stop, context, options.pageSize) ||
      (context.hasMore === true && context.records > 0);
    if (!more) return endChain(context, stopReason(options.stop), options.pageSize);
    const position = context.records === 0 ? undefined : contentOf(page.records, options.recordKey);
    return continueChain(
      context,
      base,
      position,
      (state) => ({ ...task, [param]: number + 1, [base.stateField]: state }) as T,
      options.pageSize,
    );
  };
  return {
    step,
    next: (task, page) => step(task, page).nextTasks,
    params: (task) => ({ [param]: current(task) }),
  };
}
