import type { Redis } from 'ioredis';
import { InvalidOptionError, RateLimiterUnavailableError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { acquireByReserving, sleepWithTimers } from './acquire-by-reserving.js';
import { MemoryLimiter } from './memory-limiter.js';
import { checkRate, parseRate, type Rate } from './rate.js';
import type { RateLimiter, Reservation } from './rate-limiter.js';
import { connectLimiterRedis, waitUntilReady } from './redis-connection.js';
import { defineLimiterCommands, type LimiterCommands } from './redis-scripts.js';

/** What {@link RedisLimiter} does while Redis is unreachable, when asked to keep going. */
export type RedisLimiterFallback = {
  /**
   * The share of the rate this process may use on its own, from 0 (exclusive) to 1: set it to
   * 1 / the number of processes sharing the key, so that together they stay near the limit on
   * average. Independent local limiters cannot promise the exact window bound Redis gives.
   */
  readonly share: number;
};

/** Options of {@link RedisLimiter}. */
export type RedisLimiterOptions = {
  /**
   * The Redis to share: an ioredis client (left open by `close()`) or a URL (the limiter
   * connects, with options that fail fast when Redis is gone, and disconnects on `close()`).
   * @default process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
   */
  readonly redis?: Redis | string | undefined;
  /**
   * The limit, as `9/1s` or a {@link Rate}. Every process on a key must use the same rate.
   * @default '9/1s'
   */
  readonly rate?: string | Rate | undefined;
  /**
   * Put before every limiter key to make the Redis key.
   * @default 'capital:limit:'
   */
  readonly prefix?: string | undefined;
  /**
   * How long a call waits for an unreachable Redis before it throws
   * {@link RateLimiterUnavailableError} (or, with `fallback`, goes local). Once a wait has run
   * out, calls fail at once until the connection is back. There is no unlimited mode: a limiter
   * that grants freely when its store is gone would burst past the limit.
   * @default 5000
   */
  readonly unavailableAfterMs?: number | undefined;
  /**
   * Opt-in: while Redis is unreachable, grant from a local `MemoryLimiter` at `share` × the rate
   * (logging a warning) instead of throwing. The first local permit on a key comes no earlier
   * than the last permit Redis gave this process.
   * @default undefined — off: calls throw {@link RateLimiterUnavailableError}
   */
  readonly fallback?: RedisLimiterFallback | undefined;
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

/** Counters of {@link RedisLimiter.stats}. */
export type RedisLimiterStats = {
  /** Permits reserved through Redis. */
  readonly reservations: number;
  /** Permits reserved from the local fallback while Redis was unreachable. */
  readonly fallbackReservations: number;
  /** Scripts sent to Redis (reserve, pause and release): one round trip each. */
  readonly roundTrips: number;
};

/**
 * One rate limit shared by every process on every machine: the token bucket of `MemoryLimiter`
 * (GCRA), kept in Redis and computed by one atomic Lua script per permit, on Redis' clock. A
 * caller asks once, learns its exact wait, and sleeps once: one round trip per permit, no
 * window of the period ever holds more than the limit, and no permit goes unused while someone
 * waits.
 *
 * @example
 * const limiter = new RedisLimiter({ redis: 'redis://127.0.0.1:6379', rate: '9/1s' });
 * await limiter.acquire(limiterKey('wtd', 'vault:wtd/token')); // resolves when the permit is granted
 * await limiter.close();
 */
export class RedisLimiter implements RateLimiter {
  readonly rate: Rate;
  readonly #redis: Redis & LimiterCommands;
  readonly #ownsRedis: boolean;
  readonly #prefix: string;
  readonly #unavailableAfterMs: number;
  readonly #logger: Logger;
  readonly #now: (() => number) | undefined;
  readonly #fallback: MemoryLimiter | undefined;
  readonly #rateArgs: readonly [limit: string, periodMs: string, burst: string];
  #reservations = 0;
  #fallbackReservations = 0;
  #roundTrips = 0;
  /** Set when a wait for Redis ran out; cleared when the connection is ready again. */
  #unreachable = false;
  /** Local time when the newest tat Redis gave this process passes: where a fallback may start. */
  #redisHorizon = 0;
  readonly #keysHeldToHorizon = new Set<string>();

  constructor(options: RedisLimiterOptions = {}) {
    const rate = options.rate ?? '9/1s';
    this.rate = typeof rate === 'string' ? parseRate(rate) : checkRate(rate);
    this.#prefix = options.prefix ?? 'capital:limit:';
    this.#unavailableAfterMs = options.unavailableAfterMs ?? 5000;
    if (!(this.#unavailableAfterMs > 0) || !Number.isFinite(this.#unavailableAfterMs)) {
      throw new InvalidOptionError(
        'unavailableAfterMs',
        `must be a finite number of ms > 0, got ${this.#unavailableAfterMs}.`,
      );
    }
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now;
    this.#fallback = options.fallback && this.#createFallback(options.fallback.share);
    this.#rateArgs = [String(this.rate.limit), String(this.rate.periodMs), String(this.rate.burst)];
    const redis = options.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    this.#ownsRedis = typeof redis === 'string';
    this.#redis = defineLimiterCommands(
      typeof redis === 'string' ? connectLimiterRedis(redis, this.#unavailableAfterMs, this.#logger) : redis,
    );
    this.#redis.on('ready', this.#onReady);
  }

  /**
   * Reserves a permit in one round trip, without waiting for it.
   * @throws {RateLimiterUnavailableError} when Redis does not answer within `unavailableAfterMs`
   * (unless `fallback` is set).
   */
  async reserve(key: string): Promise<Reservation> {
    const redisKey = this.#prefix + key;
    let reply: [string, string, string];
    try {
      reply = await this.#send(key, () =>
        this.#redis.capitalReserve(redisKey, ...this.#rateArgs, this.#nowArg()),
      );
    } catch (error) {
      if (this.#fallback === undefined || !(error instanceof RateLimiterUnavailableError)) throw error;
      return this.#reserveLocally(key);
    }
    const receivedAt = Date.now();
    this.#reservations++;
    const [grantAt, waitMs, tat] = reply.map(Number) as [number, number, number];
    this.#redisHorizon = Math.max(this.#redisHorizon, receivedAt + tat - (grantAt - waitMs));
    let released = false;
    return {
      key,
      grantAt,
      waitMs,
      release: async () => {
        // Once only: a second release of the same tat could return someone else's permit.
        if (released) return;
        released = true;
        const [limit, periodMs] = this.#rateArgs;
        try {
          await this.#send(key, () =>
            this.#redis.capitalRelease(redisKey, limit, periodMs, reply[2], this.#nowArg()),
          );
        } catch (error) {
          // A lost release wastes one permit; it never lets a caller exceed the limit.
          this.#logger.warn('Could not give a permit back to Redis', {
            limiterKey: key,
            error: String(error),
          });
        }
      },
    };
  }

  /**
   * Reserves a permit and resolves after exactly its wait (one round trip, one sleep).
   * @throws the signal's reason when aborted (the permit is released), or
   * {@link RateLimiterUnavailableError} as {@link RedisLimiter.reserve} does.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<Reservation> {
    // Checked before reserving: an aborted caller must not take a permit from Redis.
    signal?.throwIfAborted();
    return acquireByReserving(this.reserve(key), signal, sleepWithTimers);
  }

  /**
   * Grants nothing on `key` for `durationMs` from now (Redis' now), to every process.
   * @throws {RateLimiterUnavailableError} as {@link RedisLimiter.reserve} does.
   */
  async pause(key: string, durationMs: number): Promise<void> {
    if (!(durationMs >= 0) || !Number.isFinite(durationMs)) {
      throw new InvalidOptionError('durationMs', `must be a finite number of ms >= 0, got ${durationMs}.`);
    }
    try {
      await this.#send(key, () =>
        this.#redis.capitalPause(this.#prefix + key, ...this.#rateArgs, String(durationMs), this.#nowArg()),
      );
    } catch (error) {
      if (this.#fallback === undefined || !(error instanceof RateLimiterUnavailableError)) throw error;
      this.#fallback.pause(key, durationMs);
    }
  }

  /** How many permits and round trips this limiter has used, to report commands per permit. */
  stats(): RedisLimiterStats {
    return {
      reservations: this.#reservations,
      fallbackReservations: this.#fallbackReservations,
      roundTrips: this.#roundTrips,
    };
  }

  /** Disconnects from Redis if the limiter connected itself; a client passed in stays open. */
  async close(): Promise<void> {
    this.#redis.off('ready', this.#onReady);
    await this.#fallback?.close();
    if (!this.#ownsRedis) return;
    if (this.#redis.status !== 'ready') return this.#redis.disconnect();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  /** Sends one script, within the bounded wait; every failure becomes a typed error. */
  async #send<T>(key: string, command: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#unavailableAfterMs;
    if (this.#redis.status !== 'ready') {
      if (this.#unreachable || this.#redis.status === 'end') {
        throw new RateLimiterUnavailableError(
          key,
          `Redis is unreachable (connection ${this.#redis.status}).`,
        );
      }
      if (!(await waitUntilReady(this.#redis, this.#unavailableAfterMs))) {
        this.#becomeUnreachable();
        throw new RateLimiterUnavailableError(
          key,
          `no connection to Redis within ${this.#unavailableAfterMs} ms.`,
        );
      }
    }
    this.#roundTrips++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer')), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([command(), timeout]);
    } catch (error) {
      throw new RateLimiterUnavailableError(
        key,
        `Redis did not answer within ${this.#unavailableAfterMs} ms: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  #reserveLocally(key: string): Reservation {
    const fallback = this.#fallback as MemoryLimiter;
    if (!this.#keysHeldToHorizon.has(key)) {
      // The permits Redis already gave this process run until the horizon: start after them.
      this.#keysHeldToHorizon.add(key);
      fallback.pause(key, Math.max(0, this.#redisHorizon - Date.now()));
    }
    this.#fallbackReservations++;
    return fallback.reserve(key);
  }

  #createFallback(share: number): MemoryLimiter {
    if (!(share > 0 && share <= 1)) {
      throw new InvalidOptionError('fallback.share', `must be a number in (0, 1], got ${share}.`);
    }
    return new MemoryLimiter({ rate: { ...this.rate, periodMs: this.rate.periodMs / share } });
  }

  #becomeUnreachable(): void {
    if (this.#unreachable) return;
    this.#unreachable = true;
    this.#logger.warn(
      this.#fallback
        ? 'Redis is unreachable: rate limiting locally, at a share of the rate, until it is back'
        : 'Redis is unreachable: rate-limited calls fail until it is back',
      { unavailableAfterMs: this.#unavailableAfterMs },
    );
  }

  readonly #onReady = (): void => {
    if (this.#unreachable) this.#logger.info('Redis is reachable again: rate limiting through Redis');
    this.#unreachable = false;
    this.#keysHeldToHorizon.clear();
  };

  #nowArg(): string {
    return this.#now ? String(this.#now()) : '';
  }
}
