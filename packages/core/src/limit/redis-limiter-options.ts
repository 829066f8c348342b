import type { Redis } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import {
  type AdaptiveRateConfig,
  type AdaptiveRateOptions,
  resolveAdaptiveRate,
} from './adaptive-rate-options.js';
import { checkRate, parseRate, type Rate } from './rate.js';

/** What `RedisLimiter` does while Redis is unreachable, when asked to keep going. */
export type RedisLimiterFallback = {
  /**
   * The share of the rate this process may use on its own, from 0 (exclusive) to 1: set it to
   * 1 / the number of processes sharing the key, so that together they stay near the limit on
   * average. Independent local limiters cannot promise the exact window bound Redis gives.
   */
  readonly share: number;
};

/** Options of `RedisLimiter`. */
export type RedisLimiterOptions = {
  /**
   * The Redis to share: an ioredis client (left open by `close()`) or a URL (the limiter
   * connects, with options that fail fast when Redis is gone, and disconnects on `close()`).
   * @default process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
   */
  readonly redis?: Redis | string | undefined;
  /**
   * The limit, as `9/1s` or a `Rate`. Every process on a key must use the same rate.
   * @default '9/1s'
   */
  readonly rate?: string | Rate | undefined;
  /**
   * Put before every limiter key to make the Redis key.
   * @default 'capital:limit:'
   */
  readonly prefix?: string | undefined;
  /**
   * How long a call waits for an unreachable Redis (no connection, or no answer) before it
   * throws `RateLimiterUnavailableError` (or, with `fallback`, goes local). Once a wait has run
   * out, calls fail at once until the connection is back; a call whose connection drops while
   * Redis runs it fails at once (it is not resent: Redis may have reserved already). There is
   * no unlimited mode: a limiter that grants freely when its store is gone bursts past the limit.
   * @default 5000
   */
  readonly unavailableAfterMs?: number | undefined;
  /**
   * Opt-in: while Redis is unreachable, grant from a local `MemoryLimiter` at `share` × the rate
   * (logging a warning) instead of throwing, and go back to Redis when it answers again. The
   * first local permit on a key comes no earlier than the last permit Redis gave this process;
   * local permits' `grantAt` are on the local clock.
   * @default undefined — off: calls throw `RateLimiterUnavailableError`
   */
  readonly fallback?: RedisLimiterFallback | undefined;
  /**
   * Learn each single key's rate from the API instead of using `rate` (`--rate auto`): see
   * {@link AdaptiveRateOptions}. `rate` still applies to layered keys and to the fallback.
   * @default undefined — the rate is `rate`
   */
  readonly adaptive?: AdaptiveRateOptions | undefined;
  /**
   * Told when Redis becomes unreachable, reachable again, or a release is lost.
   * @default silentLogger
   */
  readonly logger?: Logger | undefined;
  /**
   * FOR TESTS ONLY: the time, in ms, that the scripts use instead of Redis `TIME`, so that a
   * property test can feed the same times to this limiter and to `MemoryLimiter`.
   * @default undefined — Redis' own clock, so client clocks never matter
   */
  readonly now?: (() => number) | undefined;
};

/** Counters of `RedisLimiter.stats()`. */
export type RedisLimiterStats = {
  /** Permits reserved through Redis. */
  readonly reservations: number;
  /** Permits reserved from the local fallback while Redis was unreachable. */
  readonly fallbackReservations: number;
  /** Scripts sent to Redis (reserve, pause and release): one round trip each. */
  readonly roundTrips: number;
};

/** {@link RedisLimiterOptions} checked, with defaults filled in. */
export type RedisLimiterConfig = {
  readonly redis: Redis | string;
  readonly rate: Rate;
  readonly prefix: string;
  readonly unavailableAfterMs: number;
  /** The fallback's own rate: the limit over `periodMs / share`. */
  readonly fallbackRate: Rate | undefined;
  readonly logger: Logger;
  readonly now: (() => number) | undefined;
  readonly adaptive: AdaptiveRateConfig | undefined;
};

/**
 * Checks the options once, where they enter, and fills in defaults.
 * @throws {InvalidOptionError} for a rate that does not parse, a bound that is not a positive
 * number of ms, or a fallback share outside (0, 1].
 * @example resolveRedisLimiterConfig({ rate: '9/1s' }).unavailableAfterMs // 5000
 */
export function resolveRedisLimiterConfig(options: RedisLimiterOptions): RedisLimiterConfig {
  const rateOption = options.rate ?? '9/1s';
  const rate = typeof rateOption === 'string' ? parseRate(rateOption) : checkRate(rateOption);
  const unavailableAfterMs = options.unavailableAfterMs ?? 5000;
  if (!(unavailableAfterMs > 0) || !Number.isFinite(unavailableAfterMs)) {
    throw new InvalidOptionError(
      'unavailableAfterMs',
      `must be a finite number of ms > 0, got ${unavailableAfterMs}.`,
    );
  }
  const share = options.fallback?.share;
  if (share !== undefined && !(share > 0 && share <= 1)) {
    throw new InvalidOptionError('fallback.share', `must be a number in (0, 1], got ${share}.`);
  }
  return {
    redis: options.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    rate,
    prefix: options.prefix ?? 'capital:limit:',
    unavailableAfterMs,
    fallbackRate: share === undefined ? undefined : { ...rate, periodMs: rate.periodMs / share },
    logger: options.logger ?? silentLogger,
    now: options.now,
    adaptive: options.adaptive && resolveAdaptiveRate(options.adaptive),
  };
}
