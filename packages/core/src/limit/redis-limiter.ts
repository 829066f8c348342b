import type { Redis } from 'ioredis';
import { InvalidOptionError, RateLimiterUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { acquireByReserving, sleepWithTimers } from './acquire-by-reserving.js';
import { type LimiterKey, type ResolvedLayer, resolveLayers } from './limiter-layers.js';
import { MemoryLimiter } from './memory-limiter.js';
import { formatRate, type Rate } from './rate.js';
import { type ApiAnswer, RateLearning } from './rate-learning.js';
import type { RateLimiter, Reservation } from './rate-limiter.js';
import { answerWithin, connectLimiterRedis, waitUntilReady } from './redis-connection.js';
import {
  type RedisLimiterOptions,
  type RedisLimiterStats,
  resolveRedisLimiterConfig,
} from './redis-limiter-options.js';
import { defineLimiterCommands, type LimiterCommands } from './redis-scripts.js';

/**
 * One rate limit shared by every process on every machine: the token bucket of `MemoryLimiter`
 * (GCRA), kept in Redis and computed by one atomic Lua script per permit, on Redis' clock. A
 * caller asks once, learns its exact wait, and sleeps once: one round trip per permit, no
 * window of the period holds more than the limit, and no permit goes unused while someone waits.
 *
 * A pause (a 429) also holds back permits already reserved and still waiting: `recheck` compares
 * their grant with the pause's end, both on Redis' clock. This process learns of its own pauses
 * at once, and of another process's from its next reply from Redis on that key (each carries the
 * key's pause), so no round trip is added per permit.
 *
 * When Redis is unreachable, calls wait at most `unavailableAfterMs`, then throw
 * {@link RateLimiterUnavailableError}; once such a wait has run out they fail at once until the
 * connection is back. With `fallback`, they grant from a local limiter instead.
 *
 * @example
 * const limiter = new RedisLimiter({ redis: 'redis://127.0.0.1:6379', rate: '9/1s' });
 * await limiter.acquire(keys.forCredential('wtd', 'env:WTD_API_TOKEN')); // resolves when the permit is granted
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
  /** Set with `adaptive`: single keys reserve at the rate learnt from the API. */
  readonly #learning: RateLearning | undefined;
  #reservations = 0;
  #fallbackReservations = 0;
  #roundTrips = 0;
  /** Set when a wait for Redis ran out; cleared when the connection is ready again. */
  #unreachable = false;
  /** Set while permits come from the fallback; cleared when Redis answers again. */
  #local = false;
  /** Local time when the newest tat Redis gave this process passes: where a fallback may start. */
  #redisHorizon = 0;
  readonly #keysHeldToHorizon = new Set<string>();
  /** Per key, when its latest pause known here ends, in µs on Redis' clock. */
  readonly #pauseEnds = new Map<string, number>();
  /** The rate arguments of each key last reserved as a layer with a rate of its own, for its pauses. */
  readonly #layerRates = new Map<string, readonly [string, string, string]>();

  /** @throws {InvalidOptionError} for options out of range (see {@link RedisLimiterOptions}). */
  constructor(options: RedisLimiterOptions = {}) {
    const config = resolveRedisLimiterConfig(options);
    this.rate = config.rate;
    this.#prefix = config.prefix;
    this.#unavailableAfterMs = config.unavailableAfterMs;
    this.#logger = config.logger;
    this.#now = config.now;
    this.#fallback = config.fallbackRate && new MemoryLimiter({ rate: config.fallbackRate });
    this.#rateArgs = [String(this.rate.limit), String(this.rate.periodMs), String(this.rate.burst)];
    this.#learning = config.adaptive && new RateLearning(config.adaptive);
    this.#ownsRedis = typeof config.redis === 'string';
    this.#redis = defineLimiterCommands(
      typeof config.redis === 'string'
        ? connectLimiterRedis(config.redis, this.#unavailableAfterMs, this.#logger)
        : config.redis,
    );
    this.#redis.on('ready', this.#onReady);
  }

  /**
   * Reserves a permit in one round trip, without waiting for it. `grantAt` is on Redis' clock
   * (on the local clock for a fallback permit).
   * @throws {RateLimiterUnavailableError} when Redis does not answer within `unavailableAfterMs`
   * and there is no `fallback`.
   */
  async reserve(key: LimiterKey): Promise<Reservation> {
    if (typeof key !== 'string') return this.#reserveLayers(resolveLayers(key, this.rate));
    const redisKey = this.#prefix + key;
    let reply: readonly string[];
    try {
      reply = await this.#send<readonly string[]>(key, () =>
        this.#learning
          ? this.#learning.reserve(this.#redis, redisKey, key, this.#rateArgs[2], this.#nowArg())
          : this.#redis.capitalReserve(redisKey, `${redisKey}:pause`, ...this.#rateArgs, this.#nowArg()),
      );
    } catch (error) {
      if (this.#fallback === undefined || !(error instanceof RateLimiterUnavailableError)) throw error;
      return this.#reserveLocally(this.#fallback, key);
    }
    const receivedAt = Date.now();
    this.#reservations++;
    if (this.#local) this.#backOnRedis();
    // The script answers in whole µs on Redis' clock.
    const [grantAtUs, waitUs, tatUs, pauseEndUs] = reply.map(Number) as [number, number, number, number];
    // A learnt rate is released at the interval it reserved at.
    const rateArgs = reply[4] === undefined ? this.#rateArgs : learntRateArgs(Number(reply[4]));
    this.#notePause(key, pauseEndUs, grantAtUs - waitUs);
    const grantAt = grantAtUs / 1000;
    const waitMs = waitUs / 1000;
    this.#redisHorizon = Math.max(this.#redisHorizon, receivedAt + (tatUs - (grantAtUs - waitUs)) / 1000);
    let released = false;
    const release = async (): Promise<void> => {
      // Once only: a second release of the same tat could give back someone else's permit.
      if (released) return;
      released = true;
      await this.#releaseOnRedis(key, rateArgs, reply[2] ?? '0');
    };
    const reservation: Reservation = {
      key,
      grantAt,
      waitMs,
      pausedForMs: Math.max(0, (pauseEndUs - (grantAtUs - waitUs)) / 1000),
      release,
      recheck: () => {
        // A pause this process learnt of (its own, or another's in a later reply) that ends after
        // this grant voids the permit. Both times are on Redis' clock: no clock skew matters.
        if ((this.#pauseEnds.get(key) ?? 0) <= grantAtUs) return undefined;
        void release();
        return this.reserve(key);
      },
    };
    return reservation;
  }

  /**
   * Reserves a permit and resolves after exactly its wait: one round trip, one sleep.
   * @throws the signal's reason when aborted (a reserved permit is given back), or
   * {@link RateLimiterUnavailableError} as {@link RedisLimiter.reserve} does.
   */
  async acquire(key: LimiterKey, signal?: AbortSignal): Promise<Reservation> {
    // Checked before reserving: an aborted caller must not take a permit from Redis.
    signal?.throwIfAborted();
    return acquireByReserving(this.reserve(key), signal, sleepWithTimers);
  }

  /**
   * Grants nothing on `key` for `durationMs` from now (Redis' now), to every process.
   * @throws {InvalidOptionError} when `durationMs` is not a finite number ≥ 0.
   * @throws {RateLimiterUnavailableError} as {@link RedisLimiter.reserve} does.
   */
  async pause(key: string, durationMs: number): Promise<void> {
    if (!(durationMs >= 0) || !Number.isFinite(durationMs)) {
      throw new InvalidOptionError('durationMs', `must be a finite number of ms ≥ 0, got ${durationMs}.`);
    }
    let reply: [string, string];
    try {
      reply = await this.#send(key, () =>
        this.#redis.capitalPause(
          this.#prefix + key,
          `${this.#prefix}${key}:pause`,
          ...(this.#layerRates.get(key) ?? this.#rateArgs),
          String(durationMs),
          this.#nowArg(),
        ),
      );
    } catch (error) {
      if (this.#fallback === undefined || !(error instanceof RateLimiterUnavailableError)) throw error;
      this.#goLocal();
      this.#fallback.pause(key, durationMs);
      return;
    }
    this.#notePause(key, Number(reply[1]), Number.NEGATIVE_INFINITY);
  }

  /**
   * Tells the limiter what the API answered a request on `key` (status and headers), so that
   * an `adaptive` limiter learns the key's rate: a 429 cuts it at once, for every process (one
   * round trip; 429s are rare); other answers and announced limits travel with the key's next
   * reservation. Without `adaptive`, does nothing.
   */
  learn(key: string, answer: ApiAnswer): Promise<void> {
    if (this.#learning === undefined || this.#redis.status !== 'ready') return Promise.resolve();
    const learnt = this.#learning.note(key, answer, this.#nowArg(), this.#prefix + key);
    if (learnt === undefined) return Promise.resolve();
    // Resolves once Redis has it (tests wait for that); never rejects: learning is advice.
    return this.#send(key, () => learnt(this.#redis)).then(
      () => undefined,
      (error: unknown) =>
        this.#logger.warn('Could not tell Redis of a 429', { limiterKey: key, error: String(error) }),
    );
  }

  /** The rate learnt for `key` as this process last heard it, permits per second (adaptive only). */
  learntRate(key: string): number | undefined {
    return this.#learning?.rateOf(key);
  }

  /** Every key's learnt rate as this process last heard it (empty without `adaptive`). */
  learntRates(): ReadonlyMap<string, number> {
    return this.#learning?.rates() ?? new Map();
  }

  /** Permits and round trips so far, to report Redis commands per permit. */
  stats(): RedisLimiterStats {
    return {
      reservations: this.#reservations,
      fallbackReservations: this.#fallbackReservations,
      roundTrips: this.#roundTrips,
    };
  }

  /**
   * Disconnects from Redis if the limiter connected itself, within `unavailableAfterMs` (2 s at
   * most) even when Redis does not answer; a client passed in stays open.
   */
  async close(): Promise<void> {
    this.#redis.off('ready', this.#onReady);
    await this.#fallback?.close();
    if (!this.#ownsRedis) return;
    if (this.#redis.status !== 'ready') return this.#redis.disconnect();
    // QUIT waits for Redis' answer, and a Redis that stopped answering (frozen, or a network
    // that drops packets) never gives one: wait a bounded time, then cut the connection.
    const quit = this.#redis.quit().then(
      () => true,
      () => false,
    );
    if (!(await answerWithin(quit, Math.min(this.#unavailableAfterMs, 2000)).catch(() => false))) {
      this.#redis.disconnect();
    }
  }

  /**
   * One permit from every layer in one round trip (`reserveLayers-n.lua`). Given back, each
   * layer gets its permit back as a single key's would (a round trip per layer: cancellations
   * are rare); voided by a pause of any of its layers. Without Redis, a `fallback` grants from
   * the first layer's key alone, at the fallback's rate.
   */
  async #reserveLayers(layers: readonly ResolvedLayer[]): Promise<Reservation> {
    const first = layers[0]?.key ?? '';
    const keys = layers.flatMap((layer) => [this.#prefix + layer.key, `${this.#prefix}${layer.key}:pause`]);
    const rateArgs = layers.map((layer) => rateArgsOf(layer.rate));
    let reply: string[];
    try {
      reply = await this.#send(first, () =>
        this.#redis.capitalReserveLayers(keys.length, ...keys, this.#nowArg(), ...rateArgs.flat()),
      );
    } catch (error) {
      if (this.#fallback === undefined || !(error instanceof RateLimiterUnavailableError)) throw error;
      return this.#reserveLocally(this.#fallback, first);
    }
    const receivedAt = Date.now();
    this.#reservations++;
    if (this.#local) this.#backOnRedis();
    const [grantAtUs = 0, waitUs = 0] = reply.slice(0, 2).map(Number);
    const redisNowUs = grantAtUs - waitUs;
    const tats = layers.map((_, index) => reply[2 + 2 * index] ?? '0');
    let latestTatUs = redisNowUs;
    layers.forEach((layer, index) => {
      if (this.#layerRates.size >= 1024 && !this.#layerRates.has(layer.key)) this.#layerRates.clear();
      this.#layerRates.set(layer.key, rateArgs[index] ?? this.#rateArgs);
      this.#notePause(layer.key, Number(reply[3 + 2 * index] ?? 0), redisNowUs);
      latestTatUs = Math.max(latestTatUs, Number(tats[index]));
    });
    this.#redisHorizon = Math.max(this.#redisHorizon, receivedAt + (latestTatUs - redisNowUs) / 1000);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await Promise.all(
        layers.map((layer, index) =>
          this.#releaseOnRedis(layer.key, rateArgs[index] ?? this.#rateArgs, tats[index] ?? '0'),
        ),
      );
    };
    const reservation: Reservation = {
      key: first,
      grantAt: grantAtUs / 1000,
      waitMs: waitUs / 1000,
      pausedForMs: Math.max(
        0,
        ...layers.map((_, index) => (Number(reply[3 + 2 * index] ?? 0) - redisNowUs) / 1000),
      ),
      release,
      recheck: () => {
        if (!layers.some((layer) => (this.#pauseEnds.get(layer.key) ?? 0) > grantAtUs)) return undefined;
        void release();
        return this.#reserveLayers(layers);
      },
    };
    return reservation;
  }

  /** Gives one key's permit back (`release-3.lua`); a lost release only wastes the permit. */
  async #releaseOnRedis(
    key: string,
    rateArgs: readonly [string, string, string],
    reservedTat: string,
  ): Promise<void> {
    const redisKey = this.#prefix + key;
    try {
      await this.#send(key, () =>
        this.#redis.capitalRelease(
          redisKey,
          `${redisKey}:pause`,
          `${redisKey}:released`,
          ...rateArgs,
          reservedTat,
          this.#nowArg(),
        ),
      );
    } catch (error) {
      // A lost release wastes one permit; it never lets anyone exceed the limit.
      this.#logger.warn('Could not give a permit back to Redis', { limiterKey: key, error: String(error) });
    }
  }

  /** Sends one script within the bounded wait; every failure becomes a typed error. */
  async #send<T>(key: string, command: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#unavailableAfterMs;
    if (this.#redis.status !== 'ready') {
      if (this.#unreachable || this.#local || this.#redis.status === 'end') {
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
    try {
      return await answerWithin(command(), deadline - Date.now());
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new RateLimiterUnavailableError(key, `Redis failed to answer: ${reason}`, { cause: error });
    }
  }

  /**
   * Remembers the end of a key's pause (Redis µs), for `recheck`. Ends already past when Redis
   * answered (`redisNowUs`) are dropped, so the map holds only pauses still running.
   */
  #notePause(key: string, pauseEndUs: number, redisNowUs: number): void {
    if (pauseEndUs > redisNowUs && pauseEndUs > (this.#pauseEnds.get(key) ?? 0)) {
      this.#pauseEnds.set(key, pauseEndUs);
    }
    if (this.#pauseEnds.size < 1024 || !Number.isFinite(redisNowUs)) return;
    for (const [pausedKey, end] of this.#pauseEnds) if (end <= redisNowUs) this.#pauseEnds.delete(pausedKey);
  }

  #reserveLocally(fallback: MemoryLimiter, key: string): Reservation {
    this.#goLocal();
    if (!this.#keysHeldToHorizon.has(key)) {
      // The permits Redis already gave this process run until the horizon: start after them.
      this.#keysHeldToHorizon.add(key);
      fallback.pause(key, Math.max(0, this.#redisHorizon - Date.now()));
    }
    this.#fallbackReservations++;
    return fallback.reserve(key) as Reservation;
  }

  #becomeUnreachable(): void {
    if (this.#unreachable) return;
    this.#unreachable = true;
    if (this.#fallback === undefined) {
      this.#logger.warn('Redis is unreachable: rate-limited calls fail until it is back', {
        unavailableAfterMs: this.#unavailableAfterMs,
      });
    }
  }

  #goLocal(): void {
    if (this.#local) return;
    this.#local = true;
    this.#logger.warn(
      'Redis is unreachable: rate limiting locally, at a share of the rate, until it is back',
      {
        rate: formatRate(this.rate),
        localRate: this.#fallback && formatRate(this.#fallback.rate),
      },
    );
  }

  #backOnRedis(): void {
    if (this.#unreachable || this.#local)
      this.#logger.info('Redis is reachable again: rate limiting through Redis');
    this.#unreachable = false;
    this.#local = false;
    this.#keysHeldToHorizon.clear();
  }

  readonly #onReady = (): void => this.#backOnRedis();

  #nowArg(): string {
    return this.#now ? String(this.#now()) : '';
  }
}

/** A learnt rate, in permits per second, as release-3.lua takes a rate: its interval. */
function learntRateArgs(perSecond: number): readonly [string, string, string] {
  return ['1', String(1000 / Math.max(perSecond, 0.001)), '1'];
}

/** A rate as the scripts take it: limit, periodMs and burst, as text. */
function rateArgsOf(rate: Rate): readonly [string, string, string] {
  return [String(rate.limit), String(rate.periodMs), String(rate.burst)];
}
