import type { NextTasks, Task } from '../task.js';
import type { Lineage } from './frontier.js';

/** What pulling a source gives: a task, the end, or nothing yet (`'dry'`). */
export type Pulled<T> = IteratorResult<T, unknown> | 'dry';

/** Whether a pull gave a Promise (an async iterator) rather than its result. */
export function isPending<T>(pulled: Pulled<T> | PromiseLike<Pulled<T>>): pulled is PromiseLike<Pulled<T>> {
  return typeof pulled === 'object' && typeof (pulled as Partial<PromiseLike<unknown>>).then === 'function';
}

/**
 * Where the crawl draws candidate tasks from, one at a time and only when it has room: a page's
 * next tasks (array, iterable or async iterable) or the seeds. `parent` is the page they came
 * from (none for seeds); `index` counts the tasks drawn, to name a bad one in errors.
 */
export type TaskSource<T extends Task> = {
  readonly parent: Lineage<T> | undefined;
  /** Whether its size was known (an array), so each task drawn leaves the `queued` count. */
  readonly counted: boolean;
  index: number;
  /** True once it is known to have no task left without pulling (an array drawn to its end). */
  readonly exhausted: boolean;
  pull(): Pulled<T> | PromiseLike<Pulled<T>>;
  /** Stops an iterator early (the crawl ended): runs its `finally` blocks. */
  close(): void;
};

/** A source over a handler's `nextTasks`, drawn lazily whatever its kind. */
export function nextTaskSource<T extends Task>(
  tasks: NextTasks<T>,
  parent: Lineage<T> | undefined,
): TaskSource<T> {
  if (Array.isArray(tasks)) return arraySource(tasks as readonly T[], parent);
  if (Symbol.asyncIterator in tasks) {
    const iterator = (tasks as AsyncIterable<T>)[Symbol.asyncIterator]();
    return {
      parent,
      counted: false,
      index: 0,
      exhausted: false,
      pull: () => iterator.next(),
      close: () => void Promise.resolve(iterator.return?.()).catch(() => {}),
    };
  }
  const iterator = (tasks as Iterable<T>)[Symbol.iterator]();
  return {
    parent,
    counted: false,
    index: 0,
    exhausted: false,
    pull: () => iterator.next(),
    close: () => {
      try {
        iterator.return?.();
      } catch {
        // The crawl is over; an iterator that fails to clean up has nobody left to tell.
      }
    },
  };
}

function arraySource<T extends Task>(tasks: readonly T[], parent: Lineage<T> | undefined): TaskSource<T> {
  let at = 0;
  return {
    parent,
    counted: true,
    index: 0,
    get exhausted() {
      return at >= tasks.length;
    },
    pull: () =>
      at < tasks.length ? { done: false, value: tasks[at++] as T } : { done: true, value: undefined },
    close: () => {},
  };
}

/**
 * Seeds an Observable pushed: an Observable cannot be paused, so its seeds wait here as they
 * came (not keyed, not checked) until the crawl has room. `'dry'` while it may still emit.
 */
export class SeedQueue<T extends Task> implements TaskSource<T> {
  readonly parent = undefined;
  readonly counted = false;
  readonly exhausted = false;
  index = 0;
  complete = false;
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(seed: T): void {
    this.#items.push(seed);
  }

  pull(): Pulled<T> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#items[this.#head] = undefined;
      this.#head += 1;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return { done: false, value };
    }
    return this.complete ? { done: true, value: undefined } : 'dry';
  }

  close(): void {}
}
