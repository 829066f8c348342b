import { seededRandom } from '../synthetic-source.js';
import { pick } from './pick.js';

/**
 * Fault injection options of an emulator. Each rate is a share of the requests that a route
 * answered with a 2xx: client errors (4xx) are never replaced, so a client's bugs always show.
 */
export type FaultOptions = {
  /**
   * Share of requests answered 500, 502 or 503, with an HTML page (as a proxy would send) or
   * the API's JSON error (as the application would).
   * @default 0
   */
  readonly faultRate?: number;
  /**
   * Share of requests answered 200 with a broken body: truncated JSON, an HTML page, or the
   * JSON without its `dataField`.
   * @default 0
   */
  readonly malformedRate?: number;
  /**
   * Share of requests answered 429 although every limit admitted them, as when the provider
   * sheds load. Their `Retry-After` is `burst429RetryAfterMs`.
   * @default 0
   */
  readonly burst429Rate?: number;
  /**
   * Share of requests whose connection is reset without an answer.
   * @default 0
   */
  readonly resetRate?: number;
  /**
   * Share of requests delayed by `slowMs` on top of the emulator's `latencyMs`, drawn from a
   * generator of their own so that adding them does not change which requests fail.
   * @default 0
   */
  readonly slowRate?: number;
  /**
   * The extra delay of a slow request, in milliseconds.
   * @default 1000
   */
  readonly slowMs?: number;
  /**
   * The retry delay an injected 429 announces, in milliseconds.
   * @default 1000
   */
  readonly burst429RetryAfterMs?: number;
  /**
   * The field a `missing-data` broken body leaves out.
   * @default 'data'
   */
  readonly dataField?: string;
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
  | { readonly kind: 'burst-429' }
  | { readonly kind: 'reset' };

const SERVER_ERROR_STATUSES = [500, 502, 503] as const;
const SERVER_ERROR_BODIES: readonly ServerErrorBody[] = ['html', 'json'];
const MALFORMED_BODIES: readonly MalformedBody[] = ['truncated-json', 'html', 'missing-data'];
/** Mixed into the seed of the slow-request generator, so that it draws another sequence. */
const SLOW_STREAM = 0x5eed;

/**
 * Creates a seeded function that decides, request after request, whether to inject a fault.
 * One draw per request picks the kind, with probabilities `faultRate`, `malformedRate`,
 * `burst429Rate` and `resetRate`; further draws pick the status and the body. The same seed
 * gives the same sequence of decisions.
 *
 * @param options - Rates; see {@link FaultOptions}. `slowRate` is drawn by {@link createSlowInjector}.
 * @param seed - Seed of the generator.
 * @returns A function returning the next {@link FaultDecision} on each call.
 * @throws {RangeError} when a rate is outside `[0, 1]` or the rates add up to more than 1.
 * @example
 * const decide = createFaultInjector({ faultRate: 0.1 }, 42);
 * decide(); // { kind: 'none' } about nine times in ten
 */
export function createFaultInjector(options: FaultOptions = {}, seed = 1): () => FaultDecision {
  const { faultRate = 0, malformedRate = 0, burst429Rate = 0, resetRate = 0 } = options;
  const rates = { faultRate, malformedRate, burst429Rate, resetRate };
  for (const [option, rate] of Object.entries(rates)) checkShare(option, rate);
  // A little slack, so that 0.1 + 0.2 + 0.7 (1.0000000000000002 in floating point) is accepted.
  if (faultRate + malformedRate + burst429Rate + resetRate > 1 + 1e-9) {
    throw new RangeError('faultRate, malformedRate, burst429Rate and resetRate must add up to at most 1.');
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
    if (draw < faultRate + malformedRate + burst429Rate + resetRate) return { kind: 'reset' };
    return { kind: 'none' };
  };
}

/**
 * Creates a seeded function that gives, request after request, the extra delay to add: `slowMs`
 * for a share `slowRate` of the requests, 0 for the others.
 *
 * @param options - `slowRate` and `slowMs`; see {@link FaultOptions}.
 * @param seed - Seed; the sequence differs from {@link createFaultInjector}'s for the same seed.
 * @returns The next extra delay in milliseconds, on each call.
 * @throws {RangeError} when `slowRate` is outside `[0, 1]` or `slowMs` is negative.
 * @example createSlowInjector({ slowRate: 1, slowMs: 50 }, 1)() // 50
 */
export function createSlowInjector(options: FaultOptions = {}, seed = 1): () => number {
  const { slowRate = 0, slowMs = 1000 } = options;
  checkShare('slowRate', slowRate);
  checkLatency(slowMs, 'slowMs');
  const random = seededRandom(seed ^ SLOW_STREAM);
  return () => (slowRate > 0 && random() < slowRate ? slowMs : 0);
}

/**
 * Checks a delay where the options enter the emulator.
 *
 * @param latencyMs - The delay to check.
 * @param option - The option's name, for the message.
 * @returns The delay, unchanged.
 * @throws {RangeError} when it is not a finite number of milliseconds, zero or more.
 * @example checkLatency(5) // 5
 */
export function checkLatency(latencyMs: number, option = 'latencyMs'): number {
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new RangeError(`${option} must be a non-negative number, got ${latencyMs}.`);
  }
  return latencyMs;
}

function checkShare(option: string, rate: number): void {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${option} must be between 0 and 1, got ${rate}.`);
}
