/** What the answers on one key since its last reservation say: they ride on the next one. */
export type PendingAnswers = { successes: number; limit: number; windowMs: number };

/** Keys remembered at once; past this the maps start over (keys are per credential: few). */
export const maxLearntKeys = 1024;

/**
 * The answers on each key that wait for its next reservation, shared by `RateLearning` (Redis)
 * and `MemoryRateLearning` so that both count them alike.
 */
export class PendingAnswerBook {
  readonly #pending = new Map<string, PendingAnswers>();

  /** Notes an answer that was not a 429, with the limit and window it announced (0: none). */
  note(key: string, status: number, limit: number, windowMs: number): void {
    if (this.#pending.size >= maxLearntKeys && !this.#pending.has(key)) this.#pending.clear();
    const pending = this.#pending.get(key) ?? { successes: 0, limit: 0, windowMs: 0 };
    // Only answers that got through count as room to grow; a 5xx says nothing of the rate.
    if (status >= 200 && status < 400) pending.successes += 1;
    if (limit > 0) {
      pending.limit = limit;
      if (windowMs > 0) pending.windowMs = windowMs;
    }
    this.#pending.set(key, pending);
  }

  /** Takes what waits for `key`'s reservation, leaving nothing. */
  take(key: string): PendingAnswers | undefined {
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    return pending;
  }
}
