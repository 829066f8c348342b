import { seededRandom } from '@capital/core/testing';
import { pick } from './pick.js';

/** Fault injection options of the emulator. Each rate is a share of requests, from 0 to 1. */
export type FaultOptions = {
  /**
   * Delay added before every answer on the API path, in milliseconds.
   * @default 0
   */
  readonly latencyMs?: number;
  /**
   * Share of requests answered 500, 502 or 503, with an HTML page (as a proxy would send) or a
   * JSON `{ "message": … }` body (as the application would).
   * @default 0
   */
  readonly faultRate?: number;
  /**
   * Share of requests answered 200 with a broken body: truncated JSON, an HTML page, or JSON
   * without the `data` array.
   * @default 0
   */
  readonly malformedRate?: number;
  /**
   * Share of requests answered 429 with a `Retry-After`, even though the token is under its
   * rate limit (as when the provider sheds load).
   * @default 0
   */
  readonly burst429Rate?: number;
  /**
   * Seed of the generator that decides which requests fail and how.
   * @default 1
   */
  readonly seed?: number;
};

/** How a server error is worded: a proxy's HTML page or the application's JSON. */
export type ServerErrorBody = 'html' | 'json';
/** How a 200 body is broken. */
export type MalformedBody = 'truncated-json' | 'html' | 'missing-data';

/** What to do with one request, as {@link createFaultInjector}'s function decides. */
export type FaultDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'server-error'; readonly status: 500 | 502 | 503; readonly body: ServerErrorBody }
  | { readonly kind: 'malformed'; readonly body: MalformedBody }
  | { readonly kind: 'burst-429' };

const SERVER_ERROR_STATUSES = [500, 502, 503] as const;
const SERVER_ERROR_BODIES: readonly ServerErrorBody[] = ['html', 'json'];
const MALFORMED_BODIES: readonly MalformedBody[] = ['truncated-json', 'html', 'missing-data'];

/**
 * Creates a seeded function that decides, request after request, whether to inject a fault.
 * One draw per request picks the kind, with probabilities `faultRate`, `malformedRate` and
 * `burst429Rate`; further draws pick the status and the body. The same seed gives the same
 * sequence of decisions.
 *
 * @param options - Rates and seed; see {@link FaultOptions}. `latencyMs` is not used here.
 * @returns A function returning the next {@link FaultDecision} on each call.
 * @throws {RangeError} when a rate is outside `[0, 1]` or the rates add up to more than 1.
 * @example
 * const decide = createFaultInjector({ faultRate: 0.1, seed: 42 });
 * decide(); // { kind: 'none' } about nine times in ten
 */
export function createFaultInjector(options: FaultOptions = {}): () => FaultDecision {
  const { faultRate = 0, malformedRate = 0, burst429Rate = 0, seed = 1 } = options;
  const rates = { faultRate, malformedRate, burst429Rate };
  for (const [option, rate] of Object.entries(rates)) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${option} must be between 0 and 1, got ${rate}.`);
  }
  // A little slack, so that 0.1 + 0.2 + 0.7 (1.0000000000000002 in floating point) is accepted.
  if (faultRate + malformedRate + burst429Rate > 1 + 1e-9) {
    throw new RangeError('faultRate, malformedRate and burst429Rate must add up to at most 1.');
  }
  const random = seededRandom(seed);
  return () => {
    const draw = random();
    if (draw < faultRate) {
      return {
        kind: 'server-error',
        status: pick(random, SERVER_ERROR_STATUSES),
        body: pick(random, SERVER_ERROR_BODIES),
      };
    }
    if (draw < faultRate + malformedRate) return { kind: 'malformed', body: pick(random, MALFORMED_BODIES) };
    if (draw < faultRate + malformedRate + burst429Rate) return { kind: 'burst-429' };
    return { kind: 'none' };
  };
}

/**
 * Checks `latencyMs` where the options enter the emulator.
 *
 * @param latencyMs - The delay to check.
 * @returns The delay, unchanged.
 * @throws {RangeError} when it is not a finite number of milliseconds, zero or more.
 * @example checkLatency(5) // 5
 */
export function checkLatency(latencyMs: number): number {
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new RangeError(`latencyMs must be a non-negative number, got ${latencyMs}.`);
  }
  return latencyMs;
}
