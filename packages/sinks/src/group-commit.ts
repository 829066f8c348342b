/** What a batch did for one of its writes. */
export type Outcome<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: unknown };

/** Options of {@link GroupCommit}. */
export type GroupCommitOptions<W, R> = {
  /** The most writes one batch takes. */
  readonly maxWrites: number;
  /**
   * The most size (rows, bytes: what `sizeOf` counts) one batch takes; a write larger than
   * this still goes, alone.
   * @default Infinity
   */
  readonly maxSize?: number;
  /** @default () => 1 */
  readonly sizeOf?: (write: W) => number;
  /**
   * Stores a batch and resolves once it is durable, with one outcome per write, in order. A
   * rejection fails every write of the batch with that error.
   */
  readonly commit: (batch: readonly W[]) => Promise<readonly Outcome<R>[]>;
};

type Waiting<W, R> = {
  readonly write: W;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
};

/**
 * Group commit: one batch at a time, and the writes that arrive while it runs wait, to go
 * together into the next. Under load a batch holds everything that came during the previous
 * one (up to the caps); a lone write goes at once, alone. When a batch is done and writes wait,
 * the next batch starts before the done one's writes are settled.
 *
 * ```text
 * submit    a b-c-d-------e
 * commit    [a]--[bcd]----[e]-
 * resolved     a       bcd    e
 * ```
 *
 * @example
 * const group = new GroupCommit({ maxWrites: 16, commit: async (pages) => store(pages) });
 * await Promise.all([group.submit(page1), group.submit(page2)]); // one commit for both
 */
export class GroupCommit<W, R> {
  readonly #options: GroupCommitOptions<W, R>;
  readonly #waiting: Waiting<W, R>[] = [];
  #running: Promise<void> | undefined;

  constructor(options: GroupCommitOptions<W, R>) {
    this.#options = options;
  }

  /** Queues a write; settles with its outcome once the batch it joined is committed. */
  submit(write: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ write, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves once no write waits and no batch runs. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #drain(): Promise<void> {
    // Writes submitted in the same turn as the first (a burst) join its batch.
    await Promise.resolve();
    let batch = this.#waiting.splice(0, this.#take());
    let running = this.#commit(batch);
    for (;;) {
      const outcomes = await running;
      const next = this.#waiting.length > 0 ? this.#waiting.splice(0, this.#take()) : undefined;
      if (next !== undefined) {
        running = this.#commit(next);
        // The next batch goes first: settling this one lets its writers hand over more writes,
        // whose preparing (a sink encodes each page) would otherwise hold the next batch back
        // while the store sits idle. A turn of the event loop lets it reach the store first.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      batch.forEach((entry, index) => {
        const outcome = outcomes[index] ?? { ok: false, error: new Error('The batch reported no outcome.') };
        if (outcome.ok) entry.resolve(outcome.value);
        else entry.reject(outcome.error);
      });
      if (next === undefined) break;
      batch = next;
    }
    this.#running = undefined;
  }

  /** Commits a batch; a rejection is every write's outcome. */
  async #commit(batch: readonly Waiting<W, R>[]): Promise<readonly Outcome<R>[]> {
    try {
      return await this.#options.commit(batch.map((entry) => entry.write));
    } catch (error) {
      return batch.map(() => ({ ok: false, error }));
    }
  }

  /** How many of the waiting writes, oldest first, the next batch takes: at least one. */
  #take(): number {
    const { maxWrites, maxSize = Number.POSITIVE_INFINITY, sizeOf = () => 1 } = this.#options;
    let size = sizeOf((this.#waiting[0] as Waiting<W, R>).write);
    let count = 1;
    while (count < Math.min(maxWrites, this.#waiting.length)) {
      size += sizeOf((this.#waiting[count] as Waiting<W, R>).write);
      if (size > maxSize) break;
      count += 1;
    }
    return count;
  }
}
