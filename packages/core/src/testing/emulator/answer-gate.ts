/**
 * Lets answers through, or holds them all until released: `hold(after)` lets `after` more
 * answers pass, then holds every one until `release()`. Requests are still counted and
 * rate-limited as they arrive; only their answers wait. Tests use it to freeze a client in a
 * known state (e.g. a worker with a request in flight) instead of racing it.
 */
export class AnswerGate {
  // One hold at a time; answers held by an earlier hold are not counted in `waiting`.
  #held: { promise: Promise<void>; open: () => void; waiting: number } | undefined;
  #passesLeft = 0;

  /** How many answers are being held right now. */
  get waiting(): number {
    return this.#held?.waiting ?? 0;
  }

  /**
   * Starts holding, after `after` more answers; a second call while holding only resets `after`.
   *
   * @param after - How many more answers go through before holding starts.
   * @throws {RangeError} when `after` is not a whole number.
   */
  hold(after: number): void {
    if (!Number.isSafeInteger(after) || after < 0)
      throw new RangeError(`hold(after): ${after} is not a count`);
    this.#passesLeft = after;
    if (this.#held !== undefined) return;
    let open = () => {};
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#held = { promise, open, waiting: 0 };
  }

  /** Lets the held answers go and stops holding. */
  release(): void {
    this.#held?.open();
    this.#held = undefined;
  }

  /** Resolves when this answer may be sent. */
  async pass(): Promise<void> {
    const held = this.#held;
    if (held === undefined) return;
    if (this.#passesLeft > 0) {
      this.#passesLeft -= 1;
      return;
    }
    held.waiting += 1;
    try {
      await held.promise;
    } finally {
      held.waiting -= 1;
    }
  }
}
