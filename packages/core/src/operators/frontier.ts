import type { Task } from '../task.js';

/**
 * What a task's next tasks need to know of it: its place in the crawl and the state of Brent's
 * cycle detection along its chain. No link to its parent, so that a long chain keeps nothing of
 * its ancestors alive; their keys live compactly in `SeenKeys`.
 */
export type Lineage<T extends Task> = {
  readonly task: T;
  readonly key: string;
  readonly depth: number;
  /** Its number in `SeenKeys`. */
  readonly sequence: number;
  /**
   * Brent's algorithm: the key of the chain's "tortoise", compared with every next task; it jumps
   * forward to the current task whenever `steps` reaches `power`, and `power` doubles. A chain
   * that loops (when de-duplication forgot the loop's keys) meets its tortoise before it has
   * run four times its length.
   */
  readonly brentKey: string;
  readonly brentPower: number;
  readonly brentSteps: number;
};

/** A task waiting to run. */
export type FrontierEntry<T extends Task> = Lineage<T>;

/** A FIFO queue that frees what it hands out. */
export class Fifo<X> {
  #items: (X | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: X): void {
    this.#items.push(item);
  }

  /** The item `shift` would give, left in place. */
  peek(): X | undefined {
    return this.#items[this.#head];
  }

  shift(): X | undefined {
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

/** Tasks to run, first in first out: breadth-first order keeps fan-outs fair. */
export class Frontier<T extends Task> extends Fifo<FrontierEntry<T>> {}

/** The lineage of a task admitted with `key` and number `sequence`, child of `parent`. */
export function lineageOf<T extends Task>(
  task: T,
  key: string,
  sequence: number,
  parent: Lineage<T> | undefined,
): Lineage<T> {
  if (parent === undefined) {
    return { task, key, depth: 0, sequence, brentKey: key, brentPower: 1, brentSteps: 0 };
  }
  const steps = parent.brentSteps + 1;
  const jump = steps === parent.brentPower;
  return {
    task,
    key,
    depth: parent.depth + 1,
    sequence,
    brentKey: jump ? key : parent.brentKey,
    brentPower: jump ? parent.brentPower * 2 : parent.brentPower,
    brentSteps: jump ? 0 : steps,
  };
}
