import type { Task } from '../task.js';
import type { Expected, PageStep, PaginationState } from './paginator.js';
import { expectedOf, type ResolvedBase, type StepContext } from './paginator-internals.js';

/**
 * The fan-out of {@link pageNumber}: page 1 names every page its totals announce, so they run
 * concurrently. Not exported from the package.
 *
 *   page 1 ──┬─▶ page 2          each a leaf: a full page, or it fails
 *            ├─▶ …
 *            └─▶ page P ──▶ P+1  the last: its totals and `has_more` decide, as in a chain
 *
 * A fanned page cannot see its siblings, so it checks what it can alone: the totals agree with
 * page 1's, a page before the last is full, the last brings the chain to the total. A server that
 * serves one page under two numbers is not caught here (a chain would catch it).
 *
 * Returns `undefined` where the page is not the fan-out's business: no total known, a single
 * page, or the last page of the fan-out (the chain's rules apply there).
 */
export function fanOutStep<T extends Task, B, R>(
  context: StepContext<T>,
  base: ResolvedBase<B, R>,
  pageSize: number,
  build: (page: number, state: PaginationState) => T,
): PageStep<T> | undefined {
  const { state, fail } = context;
  const pages =
    context.totalPages ??
    (context.totalRecords === undefined ? undefined : Math.ceil(context.totalRecords / pageSize));
  if (pages === undefined || state.page >= pages) return undefined;
  if (context.records === 0) {
    throw fail('empty-page', `the page is empty, yet ${pages} pages were announced`);
  }
  if (context.records !== pageSize) {
    throw fail(
      'ended-early',
      `the page has ${context.records} records, not ${pageSize}, yet it is not the last of ${pages}`,
    );
  }
  if (state.fanned === true) return stepOf([], true, expectedOf(context, pageSize));
  if (state.page !== 1) return undefined;
  if (pages > base.maxPages)
    throw fail('max-pages', `${pages} pages were announced, more than maxPages (${base.maxPages})`);
  const nextTasks: T[] = [];
  for (let page = 2; page <= pages; page += 1) {
    nextTasks.push(
      build(page, {
        page,
        records: (page - 1) * pageSize,
        ...(context.totalRecords === undefined ? {} : { totalRecords: context.totalRecords }),
        ...(context.totalPages === undefined ? {} : { totalPages: context.totalPages }),
        fanned: true,
        power: 1,
        steps: 0,
      }),
    );
  }
  return stepOf(nextTasks, false, expectedOf(context, pageSize));
}

function stepOf<T extends Task>(nextTasks: T[], done: boolean, expected: Expected | undefined): PageStep<T> {
  return expected === undefined ? { nextTasks, done } : { nextTasks, done, expected };
}
