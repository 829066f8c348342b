import { InvalidOptionError } from '../errors.js';
import type { Task } from '../task.js';
import type { NumberedStopPolicy, PaginatorBaseOptions } from './paginator.js';
import type { StepContext } from './paginator-internals.js';

/** The stop policies shared by {@link pageNumber} and {@link offset}. Not exported from the package. */

/** Checks that the stop policy has what it reads; of {@link pageNumber} and {@link offset}. */
export function checkPolicy<B, R>(
  options: PaginatorBaseOptions<B, R> & { readonly stop: string; readonly pageSize?: number | undefined },
): void {
  const needs: Record<string, keyof typeof options | undefined> = {
    'total-pages': 'totalPages',
    'total-records': 'totalRecords',
    'has-more': 'hasMore',
    'short-page': 'pageSize',
    'empty-page': undefined,
  };
  if (!(options.stop in needs)) throw new InvalidOptionError('stop', `unknown stop policy '${options.stop}'`);
  const needed = needs[options.stop];
  if (needed !== undefined && options[needed] === undefined) {
    throw new InvalidOptionError(String(needed), `the stop policy '${options.stop}' reads it`);
  }
  if (options.pageSize !== undefined && !(Number.isSafeInteger(options.pageSize) && options.pageSize >= 1)) {
    throw new InvalidOptionError('pageSize', `must be a whole number ≥ 1, not ${options.pageSize}`);
  }
}

/** Whether the policy sees a next page; of {@link pageNumber} and {@link offset}. */
export function numberedMore(
  stop: NumberedStopPolicy,
  context: StepContext<Task>,
  pageSize: number | undefined,
): boolean {
  switch (stop) {
    case 'total-pages':
      if (context.totalPages === undefined)
        throw context.fail('invalid-page', 'no page of the chain gave its total pages');
      return context.state.page < context.totalPages;
    case 'total-records':
      if (context.totalRecords === undefined) {
        throw context.fail('invalid-page', 'no page of the chain gave its total records');
      }
      return context.after < context.totalRecords;
    case 'has-more':
      if (context.hasMore === undefined)
        throw context.fail('invalid-page', 'the page does not say whether more follow');
      return context.hasMore;
    case 'empty-page':
      return context.records > 0;
    case 'short-page':
      return context.records >= (pageSize ?? 1);
  }
}

/** Why a policy ended the chain, for `ended-early` messages. */
export function stopReason(stop: NumberedStopPolicy): string {
  switch (stop) {
    case 'total-pages':
      return 'the page is the last of the total pages';
    case 'total-records':
      return 'the chain has the total records';
    case 'has-more':
      return 'the page says no more follow';
    case 'empty-page':
      return 'the page is empty';
    case 'short-page':
      return 'the page is short';
  }
}
