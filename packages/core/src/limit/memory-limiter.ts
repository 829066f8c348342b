import type { SchedulerLike } from 'rxjs';
import { asyncScheduler } from 'rxjs';
import { acquireByReserving, type Sleep } from './acquire-by-reserving.js';
import { type AdaptiveRateOptions, resolveAdaptiveRate } from './adaptive-rate-options.js';
import { type LimiterKey, type ResolvedLayer, resolveLayers } from './limiter-layers.js';
import { MemoryRateLearning } from './memory-rate-learning.js';
import { checkRate, parseRate, type Rate } from './rate.js';
import type { ApiAnswer } from './rate-learning.js';
import type { RateLimiter, Reservation } from './rate-limiter.js';
import {
  pauseEndOf,
  pauseFloor,
  releaseSlot,
  reserveLayers,
  reserveSlot,
  toMicroseconds,
} from './token-bucket.js';

/** Options of {@link MemoryLimiter}. */
export type MemoryLimiterOptions = {
  /**
   * The limit, as `9/1s` or a {@link Rate}.
   * @default '9/1s'
   */
  readonly rate?: string | Rate;
  /**
   * Where time comes from. Pass a `TestScheduler` to run on virtual time.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Learn each single key's rate from the API instead of using `rate` (`--rate auto` in one
   * process), by the policy `RedisLimiter`'s `adaptive` applies for many: see
   * {@link AdaptiveRateOptions}. `rate` still applies to layered keys.
   * @default undefined — the rate is `rate`
   */
  readonly adaptive?: AdaptiveRateOptions | undefined;
};

/**
 * A token bucket per key, held in this process. Right for one process; for many, use
 * `RedisLimiter`, which computes the same on a shared store.
 *
 * @example
 * const limiter = new MemoryLimiter({ rate: '9/1s' });
 * await limiter.acquire('wtd:abc123'); // resolves when the permit is granted
 */
export class MemoryLimiter implements RateLimiter {
  readonly rate: Rate;
  readonly #scheduler: SchedulerLike;
  /** Theoretical arrival time per key, in whole µs. */
  readonly #tats = new Map<string, number>();
  /** When the latest pause of a key ends, in whole µs. */
  readonly #pauseEnds = new Map<string, number>();
  /** Per key, the `tat`s of reservations given back that still have later permits behind them. */
  readonly #released = new Map<string, readonly number[]>();
  /** The rate of each key last reserved at a rate of its own (a layer's, a learnt one), for its pauses. */
  readonly #layerRates = new Map<string, Rate>();
  /** Set with `adaptive`: single keys reserve at the rate learnt from the API. */
  readonly #learning: MemoryRateLearning | undefined;

  constructor(options: MemoryLimiterOptions = {}) {
    const rate = options.rate ?? '9/1s';
    this.rate = typeof rate === 'string' ? parseRate(rate) : checkRate(rate);
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#learning = options.adaptive && new MemoryRateLearning(resolveAdaptiveRate(options.adaptive));
  }

  reserve(key: LimiterKey): Reservation {
    if (typeof key !== 'string') return this.#reserveLayers(resolveLayers(key, this.rate));
    const now = toMicroseconds(this.#scheduler.now());
    this.#forgetIdleKeys(now);
    const rate = this.#learning ? this.#learning.rateFor(key, this.#tats.get(key), now) : this.rate;
    if (this.#learning) this.#layerRates.set(key, rate);
    const slot = reserveSlot(this.#tats.get(key), now, rate);
    this.#tats.set(key, slot.tatUs);
    let released = false;
    const reservation: Reservation = {
      key,
      waitMs: slot.waitUs / 1000,
      grantAt: slot.grantAtUs / 1000,
      pausedForMs: this.#pausedFor(key, now),
      release: async () => {
        // Once only: a second release of the same tat could give back someone else's permit.
        if (released) return;
        released = true;
        // A learnt rate is given back at the interval it reserved at.
        this.#release(key, slot.tatUs, rate);
      },
      recheck: () => {
        // A pause that began after this reservation and ends after its grant voids the permit.
        if ((this.#pauseEnds.get(key) ?? Number.NEGATIVE_INFINITY) <= slot.grantAtUs) return undefined;
        // Given back first: when it was the newest, its replacement may take its place.
        void reservation.release();
        return this.reserve(key);
      },
    };
    return reservation;
  }

  acquire(key: LimiterKey, signal?: AbortSignal): Promise<Reservation> {
    // Checked before reserving: an aborted caller must not take a permit.
    if (signal?.aborted) return Promise.reject(signal.reason);
    return acquireByReserving(this.reserve(key), signal, this.#sleep);
  }

  pause(key: string, durationMs: number): void {
    const now = toMicroseconds(this.#scheduler.now());
    const rate = this.#layerRates.get(key) ?? this.rate;
    // A shorter pause never cuts a longer one short, even when the key's rate changed in
    // between: the floor is taken from the latest end of both, as pause-2.lua does.
    const pauseEnd = Math.max(this.#pauseEnds.get(key) ?? 0, pauseEndOf(now, durationMs));
    this.#tats.set(key, Math.max(this.#tats.get(key) ?? now, pauseFloor(pauseEnd, rate)));
    this.#pauseEnds.set(key, pauseEnd);
  }

  /**
   * Told what the API answered a request on `key`: with `adaptive`, a 429 cuts the key's rate at
   * once; answers that passed and announced limits are folded in at its next reservation.
   * Without `adaptive`, does nothing.
   */
  learn(key: string, answer: ApiAnswer): void {
    this.#learning?.note(key, answer, toMicroseconds(this.#scheduler.now()), this.#tats.get(key));
  }

  /** The rate learnt for `key`, permits per second (`adaptive` only). */
  learntRate(key: string): number | undefined {
    return this.#learning?.rateOf(key);
  }

  /** Every key's learnt rate, permits per second (empty without `adaptive`). */
  learntRates(): ReadonlyMap<string, number> {
    return this.#learning?.rates() ?? new Map();
  }

  async close(): Promise<void> {
    this.#tats.clear();
    this.#pauseEnds.clear();
    this.#released.clear();
    this.#layerRates.clear();
  }

  /**
   * One permit from every layer at once (`reserveLayers`): granted when the last layer allows
   * it, and charged to each. Given back, each layer gets its own permit back as a single key's
   * would; voided by a pause of any of its layers.
   */
  #reserveLayers(layers: readonly ResolvedLayer[]): Reservation {
    const now = toMicroseconds(this.#scheduler.now());
    this.#forgetIdleKeys(now);
    const slot = reserveLayers(
      layers.map((layer) => this.#tats.get(layer.key)),
      now,
      layers.map((layer) => layer.rate),
    );
    layers.forEach((layer, index) => {
      this.#tats.set(layer.key, slot.tatsUs[index] ?? now);
      this.#layerRates.set(layer.key, layer.rate);
    });
    let released = false;
    const reservation: Reservation = {
      key: layers[0]?.key ?? '',
      waitMs: slot.waitUs / 1000,
      grantAt: slot.grantAtUs / 1000,
      pausedForMs: Math.max(0, ...layers.map((layer) => this.#pausedFor(layer.key, now))),
      release: async () => {
        if (released) return;
        released = true;
        layers.forEach((layer, index) => {
          this.#release(layer.key, slot.tatsUs[index] ?? 0, layer.rate);
        });
      },
      recheck: () => {
        const voided = layers.some(
          (layer) => (this.#pauseEnds.get(layer.key) ?? Number.NEGATIVE_INFINITY) > slot.grantAtUs,
        );
        if (!voided) return undefined;
        void reservation.release();
        return this.#reserveLayers(layers);
      },
    };
    return reservation;
  }

  /** How long the pause of `key` still runs at `nowUs`, in ms (0 without one). */
  #pausedFor(key: string, nowUs: number): number {
    return Math.max(0, ((this.#pauseEnds.get(key) ?? nowUs) - nowUs) / 1000);
  }

  #release(key: string, reservedTatUs: number, rate: Rate): void {
    const stored = this.#tats.get(key);
    if (stored === undefined) return;
    const pauseEnd = this.#pauseEnds.get(key);
    const { tatUs, releasedUs } = releaseSlot(
      stored,
      reservedTatUs,
      this.#released.get(key) ?? [],
      pauseEnd === undefined ? 0 : pauseFloor(pauseEnd, rate),
      toMicroseconds(this.#scheduler.now()),
      rate,
    );
    this.#tats.set(key, tatUs);
    if (releasedUs.length > 0) this.#released.set(key, releasedUs);
    else this.#released.delete(key);
  }

  readonly #sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        action.unsubscribe();
        reject(signal?.reason);
      };
      const action = this.#scheduler.schedule(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  /** A key whose `tat` has passed holds no state worth keeping: drop it, so the maps stay small. */
  #forgetIdleKeys(now: number): void {
    if (this.#tats.size < 1024) return;
    for (const [key, tat] of this.#tats) {
      if (tat > now) continue;
      // tat ≥ the pause floor ≥ its end, and released tats are below tat: all in the past.
      this.#tats.delete(key);
      this.#pauseEnds.delete(key);
      this.#released.delete(key);
      this.#layerRates.delete(key);
    }
  }
}
