import type { Checkpoint } from '../checkpoint.js';
import type { Task } from '../task.js';

/** A page as {@link MemoryCheckpointSink.write} takes it: the shape `@capital/sinks`' sinks take. */
export type MemorySinkPage<D = unknown> = {
  readonly key: string;
  readonly task: Task;
  readonly data: readonly D[];
  readonly nextTasks: readonly Task[];
};

/** Options of {@link MemoryCheckpointSink}. */
export type MemoryCheckpointSinkOptions<D> = {
  /** The identity of a record: a record written again under the same key replaces the first. */
  readonly recordKey: (record: D) => string;
};

/**
 * An in-memory sink that keeps the PostgreSQL sink's checkpoint contract, for tests: a page's
 * records and its next tasks are stored together, at once, when `write` resolves, so the
 * checkpoint never says a page is stored before its records are. Keep the same instance across
 * runs to resume: a second crawl given its `checkpoint` skips the pages it holds.
 *
 * It also counts what it was given, so a test can tell "each record once" from "each record at
 * least once": `recordWrites` counts every write of every record key, `pageWrites` every write
 * of every page.
 *
 * @example
 * const sink = new MemoryCheckpointSink({ recordKey: (listing) => listing.symbol });
 * seeds$.pipe(crawl(handler, { checkpoint: sink.checkpoint }), ackAfter((page) => sink.write(page)));
 */
export class MemoryCheckpointSink<D = unknown> {
  readonly #recordKey: (record: D) => string;
  readonly #records = new Map<string, D>();
  readonly #recordWrites = new Map<string, number>();
  readonly #pages = new Map<string, readonly Task[]>();
  readonly #pageWrites = new Map<string, number>();

  constructor(options: MemoryCheckpointSinkOptions<D>) {
    this.#recordKey = options.recordKey;
  }

  /** Answers the crawl's "which of these are stored?" with each stored page's next tasks. */
  readonly checkpoint: Checkpoint = {
    completed: async (keys) => {
      const stored = new Map<string, readonly Task[]>();
      for (const key of keys) {
        const nextTasks = this.#pages.get(key);
        if (nextTasks !== undefined) stored.set(key, structuredClone(nextTasks));
      }
      return stored;
    },
  };

  /**
   * Stores a page's records (by record key) and its next tasks, together.
   *
   * @returns The page's key and record count, as a sink's receipt.
   */
  async write(page: MemorySinkPage<D>): Promise<{ readonly key: string; readonly records: number }> {
    // Copies, so that a caller changing its objects later cannot change what was "stored".
    const data = structuredClone(page.data);
    for (const record of data) {
      const key = this.#recordKey(record);
      this.#records.set(key, record);
      this.#recordWrites.set(key, (this.#recordWrites.get(key) ?? 0) + 1);
    }
    this.#pages.set(page.key, structuredClone(page.nextTasks));
    this.#pageWrites.set(page.key, (this.#pageWrites.get(page.key) ?? 0) + 1);
    return { key: page.key, records: data.length };
  }

  /** The stored records by record key, sorted by key. */
  records(): ReadonlyMap<string, D> {
    return new Map([...this.#records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** How many times each record key was written, over every run into this sink. */
  recordWrites(): ReadonlyMap<string, number> {
    return new Map(this.#recordWrites);
  }

  /** How many times each page key was written, over every run into this sink. */
  pageWrites(): ReadonlyMap<string, number> {
    return new Map(this.#pageWrites);
  }
}
