import type { AdaptiveRateConfig } from './adaptive-rate-options.js';
import { type AdaptiveState, announce, cut, grow, initialState, storedState } from './adaptive-state.js';
import { maxLearntKeys, PendingAnswerBook } from './pending-answers.js';
import type { Rate } from './rate.js';
import type { ApiAnswer } from './rate-learning.js';
import { announcedWindowMs, parseRateLimitHeaders } from './rate-limit-headers.js';

/**
 * `MemoryLimiter`'s learnt rates (`adaptive`, `--rate auto` without Redis): what
 * `RateLearning` and the scripts `reserveAdaptive-3.lua` and `learn-2.lua` do for a fleet,
 * held in this process. Answers that passed wait for the key's next reservation, as they do
 * when they ride on it to Redis; a 429 cuts at once.
 */
export class MemoryRateLearning {
  readonly #config: AdaptiveRateConfig;
  readonly #states = new Map<string, AdaptiveState>();
  readonly #pending = new PendingAnswerBook();

  constructor(config: AdaptiveRateConfig) {
    this.#config = config;
  }

  /**
   * The rate to reserve a permit of `key` at, given its stored `tatUs` (reserveAdaptive-3.lua):
   * the announced limit and, when the key is busy, the answers that passed since its last
   * reservation, folded in first. A rate of one permit per its interval, burst 1.
   */
  rateFor(key: string, tatUs: number | undefined, nowUs: number): Rate {
    const s = this.#stateOf(key);
    const pending = this.#pending.take(key);
    const busy = tatUs !== undefined && tatUs >= nowUs - Math.ceil(1_000_000 / s.r);
    announce(s, pending?.limit ?? 0, pending?.windowMs ?? 0, nowUs, this.#config);
    if (busy) grow(s, pending?.successes ?? 0, nowUs, this.#config);
    this.#store(key, s);
    // The interval comes from the rate before it is stored rounded, as in the script.
    return { limit: s.r, periodMs: 1000, burst: 1 };
  }

  /**
   * Notes what the API answered a request on `key`: a 429 cuts the rate at once (learn-2.lua;
   * `tatUs` is when the permits handed out end); other answers wait for the next reservation.
   */
  note(key: string, answer: ApiAnswer, nowUs: number, tatUs: number | undefined): void {
    const announced = answer.headers && parseRateLimitHeaders(answer.headers);
    const limit = announced?.limit ?? 0;
    const windowMs = (announced && announcedWindowMs(announced)) ?? 0;
    if (answer.status === 429) {
      const s = this.#stateOf(key);
      announce(s, limit, windowMs, nowUs, this.#config);
      cut(s, nowUs, Math.max(nowUs, tatUs ?? nowUs), this.#config);
      this.#store(key, s);
      return;
    }
    this.#pending.note(key, answer.status, limit, windowMs);
  }

  /** The rate learnt for `key`, permits per second, as stored (4 decimals). */
  rateOf(key: string): number | undefined {
    return this.#states.get(key)?.r;
  }

  /** Every key's learnt rate. */
  rates(): ReadonlyMap<string, number> {
    return new Map([...this.#states].map(([key, state]) => [key, state.r]));
  }

  #stateOf(key: string): AdaptiveState {
    const stored = this.#states.get(key);
    return stored ? { ...stored } : initialState(this.#config);
  }

  #store(key: string, s: AdaptiveState): void {
    if (this.#states.size >= maxLearntKeys && !this.#states.has(key)) this.#states.clear();
    this.#states.set(key, storedState(s));
  }
}
