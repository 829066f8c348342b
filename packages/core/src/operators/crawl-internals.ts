import { asyncScheduler, isObservable, Observable, Subscription } from 'rxjs';
import type { SeenKeysStore } from '../dedupe/seen-keys-store.js';
import {
  CapitalError,
  InvalidTaskResultError,
  isCapitalError,
  isRunDeferred,
  MaxDepthExceededError,
  TaskCycleError,
  toError,
} from '../errors.js';
import { type LazyHandler, labelTask, type NextTasks, type Task, taskKey } from '../task.js';
import type { CrawlConfig, CrawlPage } from './crawl-config.js';
import type { CrawlEvent } from './crawl-event.js';
import { Fifo, type FrontierEntry, type Lineage, lineageOf } from './frontier.js';
import { estimatePageBytes } from './page-bytes.js';
import { runTask, type TaskOutcome } from './run-task.js';
import { SeenKeys } from './seen-keys.js';
import { isPending, nextTaskSource, type Pulled, SeedQueue, type TaskSource } from './task-source.js';

type Writable<O> = { -readonly [K in keyof O]: O[K] };

/** Seeds as `crawl` and `crawlFrom` take them. */
export type CrawlSeeds<T extends Task> = Observable<T> | Iterable<T> | AsyncIterable<T>;

/** How long the crawl may hold the event loop before it lets other work run. */
const sliceBudgetMs = 4;

/** Next tasks in an array this short are admitted as their page arrives; longer, lazily. */
const eagerLimit = 1000;

/** The most tasks claimed from a de-duplication store in one round trip. */
const claimBatch = 256;

/**
 * The crawl's machinery, shared by the `crawl` operator and `crawlFrom`.
 *
 * Tasks are drawn from their sources (the seeds, each page's next tasks) only when a task can
 * start: the frontier holds at most the task about to start, so memory does not grow with a
 * fan-out's size. Sources are drawn first in first out, which keeps the breadth-first order.
 */
export function crawlSeeds<T extends Task, D>(
  seeds: CrawlSeeds<T>,
  handler: LazyHandler<T, D>,
  resolved: CrawlConfig<T>,
): Observable<CrawlPage<T, D>> {
  return new Observable<CrawlPage<T, D>>((subscriber) => {
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
    // Tasks ready to run and sources to draw more from, first in first out.
    const queue = new Fifo<FrontierEntry<T> | TaskSource<T>>();
    const seen = new SeenKeys(config.maxKeys);
    const abort = new AbortController();
    const running = new Subscription();
    const seedQueue = isObservable(seeds) ? new SeedQueue<T>() : undefined;
    let seedQueueListed = false;
    let active = 0;
    let unacknowledged = 0;
    // Records of the pages not yet acknowledged (see CrawlOptions.bufferRecords).
    let unacknowledgedRecords = 0;
    // Their estimated size (see CrawlOptions.bufferBytes).
    let unacknowledgedBytes = 0;
    const sizePages = config.bufferBytes !== Infinity;
    // Tasks known and not started: admitted ones, and those of long arrays not drawn yet.
    let queued = 0;
    let pulling = false;
    let yielding = false;
    // On virtual time (a TestScheduler) there is no event loop to starve, and a yield that
    // depended on how fast the machine is would make marble tests flaky.
    const realTime = config.scheduler === asyncScheduler;
    // When the crawl last let the event loop run (it yields at least every `sliceBudgetMs`).
    let sliceStartedAt = 0;
    // Whether the event loop has had a turn since the slice started: a marker set by an
    // immediate tells, so that a crawl paced by its API never yields for nothing.
    let turnPassed = true;
    let markerArmed = false;
    const startSlice = (now: number): void => {
      sliceStartedAt = now;
      turnPassed = false;
      if (markerArmed) return;
      markerArmed = true;
      setImmediate(() => {
        markerArmed = false;
        turnPassed = true;
      });
    };
    // With a store: tasks admitted here, claimed there in batches, wait in `claimed` to start.
    const store = config.store;
    const claimed = new Fifo<FrontierEntry<T>>();
    let claiming = 0;
    let pumping = false;
    let pumpAgain = false;
    let emitting = false;
    let completed = false;

    // A deferral (the API asked for a long pause) ends the crawl only once every page already
    // emitted is acknowledged, so that what was fetched is stored before the run stops.
    let deferral: Error | undefined;
    const fail = (error: unknown): void => {
      if (!isRunDeferred(error) || subscriber.closed) {
        subscriber.error(toError(error));
        return;
      }
      if (deferral === undefined) {
        deferral = error;
        // No task starts again; those in flight are dropped (a resume fetches them).
        abort.abort(error);
        running.unsubscribe();
      }
      if (unacknowledged === 0) subscriber.error(deferral);
    };

    /** Checks a task and remembers it: its entry, or undefined for a duplicate. */
    const admit = (task: T, parent: Lineage<T> | undefined, index: number): FrontierEntry<T> | undefined => {
      let key: string;
      try {
        key = taskKey(task);
      } catch (error) {
        if (parent && isCapitalError(error) && error.code === 'INVALID_TASK') {
          throw new InvalidTaskResultError(
            labelTask(parent.task, parent.key),
            `nextTasks[${index}]: ${error.message}`,
          );
        }
        throw error;
      }
      // Brent's tortoise catches a loop whose keys de-duplication has forgotten.
      if (parent && key === parent.brentKey) {
        throw new TaskCycleError(labelTask(parent.task, parent.key), labelTask(task, key));
      }
      const found = seen.find(key);
      if (found >= 0) {
        if (parent && seen.isAncestorOrSelf(found, parent.sequence)) {
          throw new TaskCycleError(labelTask(parent.task, parent.key), labelTask(task, key));
        }
        config.onEvent({ type: 'duplicate', key });
        return undefined;
      }
      const depth = parent ? parent.depth + 1 : 0;
      if (depth > config.maxDepth) throw new MaxDepthExceededError(labelTask(task, key), config.maxDepth);
      return lineageOf(task, key, seen.add(key, parent ? parent.sequence : -1), parent);
    };

    /** What a pull gave: the entry to start, or undefined (a duplicate, or the source is done). */
    const take = (source: TaskSource<T>, pulled: Pulled<T>): FrontierEntry<T> | undefined => {
      if (pulled === 'dry' || pulled.done) {
        queue.shift();
        if (source === seedQueue) seedQueueListed = false;
        return undefined;
      }
      if (source.counted) queued -= 1;
      // An array drawn to its end leaves at once, or the crawl could not complete until a pull.
      if (source.exhausted) queue.shift();
      const index = source.index;
      source.index += 1;
      return admit(pulled.value, source.parent, index);
    };

    // The next task to start: the queue's head, or one drawn from the source at its head. None
    // when the queue is empty, an async source makes us wait, or the crawl has held the event
    // loop long enough: a handler that answers at once (a cache, a test) chains every page in
    // microtasks, and a long run of duplicates is drawn in one loop; neither may starve I/O.
    const draw = (): FrontierEntry<T> | undefined => {
      while (queue.size > 0 && !pulling && !yielding) {
        if (realTime) {
          const now = performance.now();
          if (turnPassed) startSlice(now);
          else if (now - sliceStartedAt > sliceBudgetMs) {
            yieldTurn();
            return undefined;
          }
        }
        const head = queue.peek() as FrontierEntry<T> | TaskSource<T>;
        if (!('pull' in head)) {
          queued -= 1;
          return queue.shift() as FrontierEntry<T>;
        }
        const pulled = head.pull();
        if (!isPending(pulled)) {
          const entry = take(head, pulled);
          if (entry) return entry;
          continue;
        }
        pulling = true;
        pulled.then((value) => {
          pulling = false;
          if (subscriber.closed) return;
          try {
            const entry = take(head, value);
            if (entry) {
              // Room was kept for it: nothing else starts while a pull is in flight.
              if (store) claim([entry]);
              else start(entry);
            }
          } catch (error) {
            return fail(error);
          }
          pump();
        }, fail);
        return undefined;
      }
      return undefined;
    };

    /**
     * The next task to start. With a store, tasks are drawn ahead (up to `claimBatch`, bounded
     * memory) and claimed in one round trip; those claimed before by anyone are duplicates.
     */
    const next = (): FrontierEntry<T> | undefined => {
      if (!store) return draw();
      const ready = claimed.shift();
      if (ready !== undefined || claiming > 0) return ready;
      const batch: FrontierEntry<T>[] = [];
      while (batch.length < claimBatch) {
        const entry = draw();
        if (entry === undefined) break;
        batch.push(entry);
      }
      if (batch.length > 0) claim(batch);
      return undefined;
    };

    const claim = (batch: FrontierEntry<T>[]): void => {
      claiming += 1;
      (store as SeenKeysStore).claim(batch.map((entry) => entry.key)).then((fresh) => {
        claiming -= 1;
        if (subscriber.closed) return;
        if (!Array.isArray(fresh) || fresh.length !== batch.length) {
          return fail(
            new CapitalError('The de-duplication store answered a claim with the wrong count.', {
              code: 'DEDUPE_STORE',
            }),
          );
        }
        batch.forEach((entry, index) => {
          if (fresh[index] === true) claimed.push(entry);
          else config.onEvent({ type: 'duplicate', key: entry.key });
        });
        pump();
      }, fail);
    };

    const yieldTurn = (): void => {
      yielding = true;
      // setImmediate lets I/O run without the ≥ 1 ms of a timer.
      const pending = new Subscription();
      const resume = (): void => {
        running.remove(pending);
        yielding = false;
        turnPassed = true;
        pump();
      };
      const immediate = setImmediate(resume);
      pending.add(() => clearImmediate(immediate));
      running.add(pending);
    };

    /**
     * A short array of next tasks is admitted at once, as before the page is emitted, so that its
     * duplicates and cycles are reported in order; a long one, or an iterable, is drawn lazily.
     */
    const enqueue = (tasks: NextTasks<T>, parent: Lineage<T>): void => {
      if (Array.isArray(tasks) && tasks.length <= eagerLimit) {
        (tasks as readonly T[]).forEach((task, index) => {
          const entry = admit(task, parent, index);
          if (entry) {
            queue.push(entry);
            queued += 1;
          }
        });
        return;
      }
      if (Array.isArray(tasks)) queued += tasks.length;
      queue.push(nextTaskSource(tasks, parent));
    };

    const settle = (entry: FrontierEntry<T>, outcome: TaskOutcome<T, D>): void => {
      active -= 1;
      if (outcome.kind === 'skipped') {
        enqueue(outcome.nextTasks, entry);
        config.onEvent({ type: 'page-skipped', key: entry.key, nextTasks: outcome.nextTasks.length });
        pump();
        return;
      }
      const { result, attempts } = outcome;
      // Lazy next tasks are drawn later, and not listed on the page (a checkpointing crawl has
      // collected them into an array already, see runTask).
      const nextTasks = Array.isArray(result.nextTasks) ? (result.nextTasks as readonly T[]) : [];
      enqueue(result.nextTasks, entry);
      const last = isOver();
      config.onEvent({
        type: 'page',
        key: entry.key,
        records: result.data.length,
        nextTasks: nextTasks.length,
        attempts,
        queued,
      });
      let acknowledged = false;
      const records = result.data.length;
      const bytes = sizePages ? estimatePageBytes(result.data) : 0;
      unacknowledged += 1;
      unacknowledgedRecords += records;
      unacknowledgedBytes += bytes;
      // A consumer that acknowledges inside `next` (`tap((page) => page.ack())`) must not make the
      // crawl start tasks or complete before this page has passed the operators downstream, or
      // the last page is lost: `pump` waits until `next` has returned.
      emitting = true;
      // Built field by field: spreading the result (and an optional `last`) cost more a page.
      const page: Writable<CrawlPage<T, D>> = {
        task: result.task,
        data: result.data,
        nextTasks,
        key: entry.key,
        depth: entry.depth,
        attempts,
        fetchedAt: config.scheduler.now(),
        ack: () => {
          if (acknowledged) return;
          acknowledged = true;
          unacknowledged -= 1;
          unacknowledgedRecords -= records;
          unacknowledgedBytes -= bytes;
          pump();
        },
      };
      if (result.expect !== undefined) page.expect = result.expect;
      if (last) page.last = true;
      try {
        subscriber.next(page);
      } finally {
        emitting = false;
      }
      pump();
    };

    const start = (entry: FrontierEntry<T>): void => {
      active += 1;
      config.onEvent({ type: 'task-started', key: entry.key, depth: entry.depth });
      if (subscriber.closed || deferral !== undefined) return;
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

    /**
     * Whether no task can start again: none runs (a retry or a deferral waits inside its task),
     * none is queued or being claimed, and every source of tasks is drawn to its end. A source
     * left in the queue counts as not drawn, though it may turn out empty: then the page
     * emitted last is not known as such, and the crawl only completes.
     */
    const isOver = (): boolean =>
      active === 0 &&
      !pulling &&
      claiming === 0 &&
      claimed.size === 0 &&
      deferral === undefined &&
      (seedQueue === undefined
        ? queue.size === 0
        : seedQueue.complete &&
          (queue.size === 0 || (queue.size === 1 && queue.peek() === seedQueue && seedQueue.size === 0)));

    const hasRoom = (): boolean =>
      active < config.concurrency &&
      active + unacknowledged < config.concurrency + config.buffer &&
      unacknowledgedRecords < config.bufferRecords &&
      unacknowledgedBytes < config.bufferBytes;

    // Re-entrant calls (a synchronous handler, an ack inside next) only ask for another turn.
    function pump(): void {
      if (deferral !== undefined) {
        if (!emitting) fail(deferral);
        return;
      }
      if (pumping || emitting) {
        pumpAgain = true;
        return;
      }
      pumping = true;
      try {
        do {
          pumpAgain = false;
          while (!subscriber.closed && deferral === undefined && hasRoom()) {
            const entry = next();
            if (entry === undefined) break;
            start(entry);
          }
        } while (pumpAgain && !subscriber.closed);
      } catch (error) {
        fail(error);
      } finally {
        pumping = false;
      }
      const seedsDone = seedQueue === undefined || seedQueue.complete;
      const idle = active === 0 && queue.size === 0 && !pulling && claiming === 0 && claimed.size === 0;
      if (seedsDone && idle && !subscriber.closed) {
        completed = true;
        subscriber.complete();
      }
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
    running.add(() => {
      for (let item = queue.shift(); item; item = queue.shift()) if ('pull' in item) item.close();
    });
    if (seedQueue === undefined) {
      queue.push(nextTaskSource(seeds as Iterable<T> | AsyncIterable<T>, undefined));
      pump();
    } else {
      running.add(
        (seeds as Observable<T>).subscribe({
          next: (seed) => {
            seedQueue.push(seed);
            if (!seedQueueListed) {
              seedQueueListed = true;
              queue.push(seedQueue);
            }
            pump();
          },
          error: fail,
          complete: () => {
            seedQueue.complete = true;
            pump();
          },
        }),
      );
    }

    return () => {
      // A crawl that completed has no handler left to stop; aborting would only wake every
      // request signal derived from this one (one per page fetched) for nothing.
      if (!completed) abort.abort(new Error('The crawl was unsubscribed.'));
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
