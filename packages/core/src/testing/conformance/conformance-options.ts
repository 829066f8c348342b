import type { Connector } from '../../connector.js';
import type { Task } from '../../task.js';

/** Faults the conformance kit asks an emulator to inject; each rate is a share of requests. */
export type ConformanceFaults = {
  /** Share answered 500, 502 or 503. */
  readonly faultRate: number;
  /** Share answered 200 with a broken body. */
  readonly malformedRate: number;
  /** Share answered 429 although under the limit. */
  readonly burst429Rate: number;
  /** Share whose connection is reset without an answer. */
  readonly resetRate: number;
  /** The `Retry-After` of an injected 429, in ms; the kit keeps it short so the suite stays fast. */
  readonly burst429RetryAfterMs: number;
  /** Seed of the fault draws: the same seed fails the same requests. */
  readonly seed: number;
};

/** What the conformance kit asks of a connector's emulator for one check. */
export type ConformanceEmulatorOptions = {
  /** The only tokens it accepts; any other is answered 401. */
  readonly tokens: readonly string[];
  /** Its per-token rolling-window limit, or `false` for none. Over it: 429 with `Retry-After`. */
  readonly rateLimit: { readonly limit: number; readonly windowMs: number } | false;
  /** Faults to inject, or none when absent. */
  readonly faults?: ConformanceFaults | undefined;
};

/** An emulator started for one check: where it listens, and how to stop it. */
export type ConformanceEmulator = {
  readonly url: string;
  close(): Promise<void>;
};

/** Options of `describeConnector` and {@link conformanceChecks}. */
export type ConformanceOptions<T extends Task = Task, D = unknown> = {
  /** The connector under test. */
  readonly connector: Connector<T, D>;
  /** Starts the connector's emulator as a check asks, without latency. */
  startEmulator(options: ConformanceEmulatorOptions): Promise<ConformanceEmulator>;
  /** Parameter values for the connector's seeds, e.g. `{ search: 'new york' }`. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * The truth: the record keys (`connector.recordKey`) the emulator holds for `params`. A full
   * crawl must write each of them exactly once and nothing else.
   */
  readonly expected: readonly string[] | (() => readonly string[] | Promise<readonly string[]>);
  /**
   * The emulator's limit in the rate-limit check: tight enough that a crawl without a limiter
   * meets 429s, short enough that waiting them out is quick. A crawl that meets none (a busy
   * machine can be slower than the limit) is run again with the window 4, then 16 times as wide.
   * @default { limit: 3, windowMs: 100 }
   */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /**
   * Fault rates of the fault check (its `seed` is taken from `faultSeeds`).
   * @default { faultRate: 0.2, malformedRate: 0.15, burst429Rate: 0.1, resetRate: 0.1, burst429RetryAfterMs: 10 }
   */
  readonly faults?: Partial<Omit<ConformanceFaults, 'seed'>>;
  /**
   * One faulty crawl per seed. Together they must show a 5xx, an injected 429 and a reset at
   * the receiver, or the check fails saying the faults were never tried.
   * @default [1, 2, 3]
   */
  readonly faultSeeds?: readonly number[];
  /**
   * Tasks run at once in the crawls (the rate-limit check runs one at a time).
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * The longest one check may take, in ms.
   * @default 30_000
   */
  readonly timeoutMs?: number;
};
