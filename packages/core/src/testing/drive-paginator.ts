import type { Expected, Page, Paginator } from '../paginate/paginator.js';
import type { Task } from '../task.js';
import { taskKey } from '../task.js';

/** Options of {@link drivePaginator}. */
export type DrivePaginatorOptions = {
  /**
   * Requests after which the driver gives up with a plain `Error`: a paginator that needs this
   * many on a test source has a bug, and the test should say so rather than hang.
   * @default 100_000
   */
  readonly maxRequests?: number;
};

/** What {@link drivePaginator} saw: every record in order, the requests made, the last totals. */
export type DrivenChain<T extends Task, R> = {
  readonly records: R[];
  readonly requests: number;
  readonly tasks: T[];
  readonly expected: Expected | undefined;
};

/**
 * Runs a paginator against an in-memory server, synchronously, as the crawl would: from the
 * seed, every next task in order, duplicates (by task key) dropped. For tests of a paginator
 * configuration; a `PaginationError` is thrown as the handler would throw it.
 *
 * @example
 * const run = drivePaginator(cursor({ stop: 'no-cursor', from: (body) => body.next }), { type: 't' }, (task) => server(task));
 * expect(run.records).toEqual(allRecords);
 */
export function drivePaginator<T extends Task, B, R>(
  paginator: Paginator<T, B, R>,
  seed: T,
  serve: (task: T, request: number) => Page<B, R>,
  options: DrivePaginatorOptions = {},
): DrivenChain<T, R> {
  const maxRequests = options.maxRequests ?? 100_000;
  const queue: T[] = [seed];
  const seen = new Set<string>([taskKey(seed)]);
  const records: R[] = [];
  const tasks: T[] = [];
  let expected: Expected | undefined;
  for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
    if (tasks.length >= maxRequests) throw new Error(`drivePaginator: more than ${maxRequests} requests`);
    const page = serve(task, tasks.length);
    tasks.push(task);
    // The paginator decides first: a page it refuses is never emitted, as in a handler.
    const step = paginator.step(task, page);
    records.push(...page.records);
    expected = step.expected ?? expected;
    for (const next of step.nextTasks) {
      const key = taskKey(next);
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push(next);
    }
  }
  return { records, requests: tasks.length, tasks, expected };
}
