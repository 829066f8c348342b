import type { Redis } from 'ioredis';
import { type AdaptiveRateConfig, adaptiveArgs } from './adaptive-rate-options.js';
import { maxLearntKeys, PendingAnswerBook } from './pending-answers.js';
import { announcedWindowMs, parseRateLimitHeaders } from './rate-limit-headers.js';
import type { LimiterCommands } from './redis-scripts.js';

/** What the API answered one request: its status and, when the client passes them, its headers. */
export type ApiAnswer = {
  readonly status: number;
  readonly headers?: Headers | undefined;
};

/**
 * The process's side of a learnt rate (`RedisLimiter` with `adaptive`): what it heard since its
 * last reservation on a key, sent with the next one (`reserveAdaptive-3.lua`), so that learning
 * adds no round trip per permit; a 429 is sent at once (`learn-2.lua`).
 */
export class RateLearning {
  readonly #args: readonly string[];
  readonly #pending = new PendingAnswerBook();
  readonly #rates = new Map<string, number>();

  constructor(config: AdaptiveRateConfig) {
    this.#args = adaptiveArgs(config);
  }

  /** One reservation at the learnt rate, carrying what was heard since the last one. */
  reserve(
    redis: Redis & LimiterCommands,
    redisKey: string,
    key: string,
    burst: string,
    now: string,
  ): Promise<[string, string, string, string, string]> {
    const pending = this.#pending.take(key);
    return redis
      .capitalReserveAdaptive(
        redisKey,
        `${redisKey}:pause`,
        `${redisKey}:rate`,
        burst,
        String(pending?.successes ?? 0),
        String(pending?.limit ?? 0),
        String(pending?.windowMs ?? 0),
        now,
        ...this.#args,
      )
      .then((reply) => {
        this.#remember(key, Number(reply[4]));
        return reply;
      });
  }

  /**
   * Notes an answer. For a 429, returns the call that tells Redis at once; otherwise keeps it
   * for the key's next reservation and returns `undefined`.
   */
  note(
    key: string,
    answer: ApiAnswer,
    now: string,
    redisKey: string,
  ): ((redis: Redis & LimiterCommands) => Promise<unknown>) | undefined {
    const announced = answer.headers && parseRateLimitHeaders(answer.headers);
    const limit = announced?.limit ?? 0;
    const windowMs = (announced && announcedWindowMs(announced)) ?? 0;
    if (answer.status === 429) {
      return (redis) =>
        redis
          .capitalLearn(
            `${redisKey}:rate`,
            redisKey,
            '1',
            String(limit),
            String(windowMs),
            now,
            ...this.#args,
          )
          .then((reply) => this.#remember(key, Number(reply[0])));
    }
    this.#pending.note(key, answer.status, limit, windowMs);
    return undefined;
  }

  /** The rate learnt for `key` as last heard from Redis, permits per second. */
  rateOf(key: string): number | undefined {
    return this.#rates.get(key);
  }

  /** Every key's rate as last heard from Redis. */
  rates(): ReadonlyMap<string, number> {
    return new Map(this.#rates);
  }

  #remember(key: string, rate: number): void {
    if (!Number.isFinite(rate)) return;
    if (this.#rates.size >= maxLearntKeys && !this.#rates.has(key)) this.#rates.clear();
    this.#rates.set(key, rate);
  }
}
