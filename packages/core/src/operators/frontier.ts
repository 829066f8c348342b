import type { Task } from '../task.js';

/** A task waiting to run, with the chain of tasks that led to it (for cycle detection). */
export type FrontierEntry<T extends Task> = {
  readonly task: T;
  readonly key: string;
  readonly depth: number;
  readonly parent: FrontierEntry<T> | undefined;
};

/** A FIFO queue of tasks to run. Breadth-first order keeps fan-outs fair. */
export class Frontier<T extends Task> {
  #items: (FrontierEntry<T> | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(entry: FrontierEntry<T>): void {
    this.#items.push(entry);
  }

  shift(): FrontierEntry<T> | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const entry = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head += 1;
    // Compact now and then, so a long crawl does not keep a long array of holes.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }
}

/** Whether `key` is the entry's own key or one of its ancestors'. */
export function isAncestorOrSelf<T extends Task>(entry: FrontierEntry<T>, key: string): boolean {
  for (let node: FrontierEntry<T> | undefined = entry; node; node = node.parent) {
    if (node.key === key) return true;
  }
  return false;
}
