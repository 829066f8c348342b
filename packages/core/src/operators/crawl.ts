import type { OperatorFunction } from 'rxjs';
import type { LazyHandler, Task } from '../task.js';
import { type CrawlOptions, type CrawlPage, resolveCrawlConfig } from './crawl-config.js';
import { crawlSeeds } from './crawl-internals.js';

/**
 * Turns seed tasks into every page they lead to: runs each task with `handler`, then each of its
 * `nextTasks`, recursively (like `expand`), until the frontier is empty and the seeds completed.
 *
 * - **Bounded**: at most `concurrency` tasks run at once.
 * - **Backpressure**: every page must be acknowledged (`page.ack()`). At most
 *   `concurrency + buffer` pages are fetched or being fetched and not yet acknowledged; when
 *   that many are out, no task starts until the consumer acknowledges one. A slow sink thus
 *   slows the fetching, and memory stays bounded whatever the source's size.
 * - **Tasks bounded like pages**: seeds and next tasks are drawn only when a task can start. A
 *   handler may return its `nextTasks` as an iterable or async iterable (a generator): the crawl
 *   draws from it lazily, so a fan-out of millions never sits in memory, and it lets the event
 *   loop run every few milliseconds while it draws. An Observable cannot be paused: its seeds
 *   wait as they came, unkeyed, until there is room; to pull seeds lazily, use `crawlFrom`.
 *   A page whose next tasks are lazy is emitted with `nextTasks: []`, except with a `checkpoint`,
 *   where they are collected first so that the sink can record them for a resume.
 * - **Once per run**: tasks are de-duplicated by `taskKey`, in memory you choose (`dedupe`). A
 *   next task equal to one of its own ancestors fails with `TaskCycleError`; one equal to any
 *   other task seen is dropped. Nothing of a page outlives it but its key's 32-byte digest.
 * - **Last page**: the page emitted when no task runs, waits or is left to draw carries
 *   `last: true`, so that a sink can finish its run in that page's transaction. A crawl that
 *   learns it is over only later (its end was a checkpointed page) marks none.
 * - **Failures**: transient errors are retried (see `retry`); a task that fails for good ends
 *   the crawl with `TaskFailedError`, and unsubscribing aborts the handlers in flight.
 *
 * ```
 * seeds   a|                 concurrency 1, buffer 0, handler: a→[b], b→[]
 * pages   -A-----B|          B starts only once A is acknowledged
 * ack      ^A    ^B
 * ```
 *
 * @example
 * seeds$.pipe(crawl(handler, { concurrency: 4 }), ackAfter((page) => sink.write(page)))
 */
export function crawl<T extends Task, D>(
  handler: LazyHandler<T, D>,
  options: CrawlOptions<T> = {},
): OperatorFunction<T, CrawlPage<T, D>> {
  const config = resolveCrawlConfig(options);
  return (seeds) => crawlSeeds(seeds, handler, config);
}
