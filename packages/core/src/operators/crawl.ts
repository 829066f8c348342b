import { Observable, type OperatorFunction, Subscription } from 'rxjs';
import {
  CapitalError,
  InvalidTaskResultError,
  isCapitalError,
  MaxDepthExceededError,
  TaskCycleError,
  toError,
} from '../errors.js';
import { type Handler, labelTask, type Task, taskKey } from '../task.js';
import { type CrawlOptions, type CrawlPage, resolveCrawlConfig } from './crawl-config.js';
import type { CrawlEvent } from './crawl-event.js';
import { Frontier, type FrontierEntry, isAncestorOrSelf } from './frontier.js';
import { runTask, type TaskOutcome } from './run-task.js';

/**
 * Turns seed tasks into every page they lead to: runs each task with `handler`, then each of its
 * `nextTasks`, recursively (like `expand`), until the frontier is empty and the seeds completed.
 *
 * - **Bounded**: at most `concurrency` tasks run at once.
 * - **Backpressure**: every page must be acknowledged (`page.ack()`). At most
 *   `concurrency + buffer` pages are fetched or being fetched and not yet acknowledged; when
 *   that many are out, no task starts until the consumer acknowledges one. A slow sink thus
 *   slows the fetching, and memory stays bounded whatever the source's size.
 * - **Once per run**: tasks are de-duplicated by `taskKey`. A next task equal to one of its own
 *   ancestors fails with `TaskCycleError`; one equal to any other task seen is dropped.
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
  handler: Handler<T, D>,
  options: CrawlOptions<T> = {},
): OperatorFunction<T, CrawlPage<T, D>> {
  const resolved = resolveCrawlConfig(options);
  return (seeds) =>
    new Observable<CrawlPage<T, D>>((subscriber) => {
      // An `onEvent` that throws ends the crawl with its error, wherever the event came from (a
      // timer, a promise, a consumer's `ack`), rather than escaping as an uncaught exception.
      const config = {
        ...resolved,
        onEvent: (event: CrawlEvent): void => {
          try {
            resolved.onEvent(event);
          } catch (error) {
            fail(error);
          }
        },
      };
      const frontier = new Frontier<T>();
      const seen = new Set<string>();
      const abort = new AbortController();
      const running = new Subscription();
      let active = 0;
      let unacknowledged = 0;
      let seedsDone = false;
      let pumping = false;
      let pumpAgain = false;
      let emitting = false;

      const fail = (error: unknown): void => subscriber.error(toError(error));

      const admit = (task: T, parent: FrontierEntry<T> | undefined): void => {
        const key = taskKey(task);
        if (seen.has(key)) {
          if (parent && isAncestorOrSelf(parent, key)) {
            throw new TaskCycleError(labelTask(parent.task, parent.key), labelTask(task, key));
          }
          config.onEvent({ type: 'duplicate', key });
          return;
        }
        const depth = parent ? parent.depth + 1 : 0;
        if (depth > config.maxDepth) throw new MaxDepthExceededError(labelTask(task, key), config.maxDepth);
        seen.add(key);
        frontier.push({ task, key, depth, parent });
      };

      const admitNext = (entry: FrontierEntry<T>, nextTasks: readonly T[]): void => {
        nextTasks.forEach((next, index) => {
          try {
            admit(next, entry);
          } catch (error) {
            if (isCapitalError(error) && error.code === 'INVALID_TASK') {
              throw new InvalidTaskResultError(
                labelTask(entry.task, entry.key),
                `nextTasks[${index}]: ${error.message}`,
              );
            }
            throw error;
          }
        });
      };

      const settle = (entry: FrontierEntry<T>, outcome: TaskOutcome<T, D>): void => {
        active -= 1;
        if (outcome.kind === 'skipped') {
          admitNext(entry, outcome.nextTasks);
          config.onEvent({ type: 'page-skipped', key: entry.key, nextTasks: outcome.nextTasks.length });
          pump();
          return;
        }
        const { result, attempts } = outcome;
        admitNext(entry, result.nextTasks);
        config.onEvent({
          type: 'page',
          key: entry.key,
          records: result.data.length,
          nextTasks: result.nextTasks.length,
          attempts,
          queued: frontier.size,
        });
        let acknowledged = false;
        unacknowledged += 1;
        // A consumer that acknowledges inside `next` (`tap((page) => page.ack())`) must not make the
        // crawl start tasks or complete before this page has passed the operators downstream, or
        // the last page is lost: `pump` waits until `next` has returned.
        emitting = true;
        try {
          subscriber.next({
            ...result,
            key: entry.key,
            depth: entry.depth,
            attempts,
            fetchedAt: config.scheduler.now(),
            ack: () => {
              if (acknowledged) return;
              acknowledged = true;
              unacknowledged -= 1;
              pump();
            },
          });
        } finally {
          emitting = false;
        }
        pump();
      };

      const start = (entry: FrontierEntry<T>): void => {
        active += 1;
        config.onEvent({ type: 'task-started', key: entry.key, depth: entry.depth });
        if (subscriber.closed) return;
        let settled = false;
        const label = labelTask(entry.task, entry.key);
        running.add(
          runTask(handler, entry.task, label, config, abort.signal).subscribe({
            next: (outcome) => {
              settled = true;
              try {
                settle(entry, outcome);
              } catch (error) {
                fail(error);
              }
            },
            error: fail,
            complete: () => {
              if (!settled) fail(new InvalidTaskResultError(label, 'the task completed without a result.'));
            },
          }),
        );
      };

      const hasRoom = (): boolean =>
        active < config.concurrency && active + unacknowledged < config.concurrency + config.buffer;

      // Re-entrant calls (a synchronous handler, an ack inside next) only ask for another turn.
      function pump(): void {
        if (pumping || emitting) {
          pumpAgain = true;
          return;
        }
        pumping = true;
        try {
          do {
            pumpAgain = false;
            while (!subscriber.closed && frontier.size > 0 && hasRoom()) {
              start(frontier.shift() as FrontierEntry<T>);
            }
          } while (pumpAgain && !subscriber.closed);
        } finally {
          pumping = false;
        }
        if (seedsDone && active === 0 && frontier.size === 0 && !subscriber.closed) subscriber.complete();
      }

      if (config.signal) {
        const onAbort = (): void => fail(abortError(config.signal?.reason));
        if (config.signal.aborted) {
          onAbort();
          return;
        }
        config.signal.addEventListener('abort', onAbort, { once: true });
        running.add(() => config.signal?.removeEventListener('abort', onAbort));
      }
      running.add(
        seeds.subscribe({
          next: (seed) => {
            try {
              admit(seed, undefined);
            } catch (error) {
              return fail(error);
            }
            pump();
          },
          error: fail,
          complete: () => {
            seedsDone = true;
            pump();
          },
        }),
      );

      return () => {
        abort.abort(new Error('The crawl was unsubscribed.'));
        running.unsubscribe();
      };
    });
}

/** The error a crawl ends with when its signal aborts: the reason itself when it is an Error. */
function abortError(reason: unknown): Error {
  return reason instanceof Error
    ? reason
    : new CapitalError('The crawl was aborted.', { code: 'ABORTED', cause: reason });
}
