import type { LimiterKey } from '../limit/limiter-layers.js';
import { parseRate, type Rate } from '../limit/rate.js';

/**
 * The rate-limiter permit an attempt holds, for the HTTP client to check at the last moment:
 * just before the request's bytes are written (see {@link permitDispatcher}).
 *
 * The limiter is exact when it grants, but the API counts requests when they arrive. Over any
 * window of `1 s + J`, a GCRA limiter of rate `r` and burst `b` grants at most `⌊r·(1 + J)⌋ + b`
 * permits, so a request sent at most `J` after its grant, with `J < 1/r`, adds at most one
 * request to any second the API counts: `9/1s` holds at most 10 per second at the server. A
 * permit found older than `maxDelayMs` is spent (wasting it only lowers the rate) and a new one
 * is taken before the request goes.
 */
export type SendPermit = {
  /** When the permit in hand was granted, in ms on `Date.now`'s clock; never later than the grant. */
  readonly grantedAt: number;
  /** The longest delay from grant to send, in ms; a permit older than that is spent. */
  readonly maxDelayMs: number;
  /** Whether a request has gone on the permit in hand (it takes one permit per request). */
  readonly used: boolean;
  /**
   * Spends the permit in hand (late, or used) and resolves once a new one is granted.
   * @throws the signal's reason when aborted, or the limiter's error.
   */
  renew(signal?: AbortSignal): Promise<void>;
  /** The request is being written now, `delayMs` after the grant of the permit in hand. */
  sent(delayMs: number): void;
};

/** Options of {@link createSendPermit}. */
export type SendPermitOptions = {
  /** When the first permit was granted, in ms on `Date.now`'s clock. */
  readonly grantedAt: number;
  /** See {@link SendPermit.maxDelayMs}. */
  readonly maxDelayMs: number;
  /** Takes a new permit; resolves with its grant time (ms, `Date.now`'s clock). */
  readonly take: (signal: AbortSignal | undefined) => Promise<number>;
  /** Told of every request sent, with its grant-to-send delay. */
  readonly onSent?: ((delayMs: number) => void) | undefined;
  /** Told of every permit spent unused or late, before the new one is taken. */
  readonly onSpent?: ((ageMs: number) => void) | undefined;
};

/**
 * A {@link SendPermit} over a way to take permits.
 *
 * @example createSendPermit({ grantedAt: Date.now(), maxDelayMs: 55, take: () => limiter.acquire(key).then(() => Date.now()) })
 */
export function createSendPermit(options: SendPermitOptions): SendPermit {
  let grantedAt = options.grantedAt;
  let used = false;
  return {
    get grantedAt() {
      return grantedAt;
    },
    maxDelayMs: options.maxDelayMs,
    get used() {
      return used;
    },
    async renew(signal) {
      options.onSpent?.(Date.now() - grantedAt);
      grantedAt = await options.take(signal);
      used = false;
    },
    sent(delayMs) {
      used = true;
      options.onSent?.(delayMs);
    },
  };
}

/**
 * The default bound on grant-to-send delay: half the shortest interval between permits of the
 * key's rates (the limiter's own and its layers'), at least `floorMs`. Half leaves the other
 * half of `1/r` for the network and the API's own delays before it counts a request.
 *
 * @example maxSendDelayFor('wtd', { limit: 9, periodMs: 1000, burst: 1 }) // 55
 */
export function maxSendDelayFor(key: LimiterKey, limiterRate: Rate | undefined, floorMs = 5): number {
  const rates: Rate[] = limiterRate ? [limiterRate] : [];
  if (typeof key !== 'string') {
    for (const layer of key) {
      if (layer.rate !== undefined)
        rates.push(typeof layer.rate === 'string' ? parseRate(layer.rate, 'limiterKey') : layer.rate);
    }
  }
  if (rates.length === 0) return Number.POSITIVE_INFINITY;
  const interval = Math.min(...rates.map((rate) => rate.periodMs / rate.limit));
  return Math.max(floorMs, Math.floor(interval / 2));
}
