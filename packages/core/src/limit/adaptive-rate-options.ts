import { InvalidOptionError } from '../errors.js';

/**
 * How a limiter learns a key's rate from the API (`--rate auto`): additive increase while
 * answers pass, multiplicative decrease on a 429, a jump to a limit the API announces in its
 * headers (times `safety`), never above `maxPerSecond`. The rate is shared through Redis.
 */
export type AdaptiveRateOptions = {
  /**
   * The rate of a key nothing is known of yet, in permits per second: low, so that the first
   * requests of an unknown API draw no 429s.
   * @default 1
   */
  readonly initialPerSecond?: number | undefined;
  /**
   * The user's ceiling, in permits per second: the learnt rate never goes above it.
   * @default 1000
   */
  readonly maxPerSecond?: number | undefined;
  /**
   * The lowest rate a run of 429s can bring a key to, in permits per second.
   * @default 0.1
   */
  readonly minPerSecond?: number | undefined;
  /**
   * The share of an announced limit used: the API counts arrivals, and requests granted
   * together do not arrive together.
   * @default 0.92
   */
  readonly safety?: number | undefined;
  /**
   * What a 429 multiplies the rate by (0.7 at the first 429, which ends the fast growth).
   * @default 0.85
   */
  readonly decrease?: number | undefined;
  /**
   * After a cut, 429s within this many ms cut no more: those requests left at the old rate.
   * @default 1000
   */
  readonly cooldownMs?: number | undefined;
  /**
   * Past the rate of the last 429, how fast the rate probes upwards, as a share of it per second.
   * Each crossing of an unstated limit costs a 429 or two: 0.0025 spaces them out enough to keep
   * under 1 % of requests refused at ~0.94 of the limit (0.005 gave 1.06 %; `pnpm bench limiter-auto`).
   * @default 0.0025
   */
  readonly probe?: number | undefined;
  /**
   * For this long after a 429, an announced limit is a ceiling to climb back to, not a jump.
   * @default 5000
   */
  readonly holdMs?: number | undefined;
};

/** {@link AdaptiveRateOptions} with defaults, as the scripts take them (ARGV order). */
export type AdaptiveRateConfig = Required<{ [K in keyof AdaptiveRateOptions]: number }>;

/**
 * Checks the options once and fills in defaults.
 * @throws {InvalidOptionError} for a value out of range.
 * @example resolveAdaptiveRate({ maxPerSecond: 20 }).initialPerSecond // 1
 */
export function resolveAdaptiveRate(options: AdaptiveRateOptions = {}): AdaptiveRateConfig {
  const maxPerSecond = options.maxPerSecond ?? 1000;
  const minPerSecond = Math.min(options.minPerSecond ?? 0.1, maxPerSecond);
  const config: AdaptiveRateConfig = {
    initialPerSecond: Math.min(options.initialPerSecond ?? 1, maxPerSecond),
    maxPerSecond,
    minPerSecond,
    safety: options.safety ?? 0.92,
    decrease: options.decrease ?? 0.85,
    cooldownMs: options.cooldownMs ?? 1000,
    probe: options.probe ?? 0.0025,
    holdMs: options.holdMs ?? 5000,
  };
  const ranges: Record<keyof AdaptiveRateConfig, readonly [number, number]> = {
    initialPerSecond: [0.001, 1e6],
    maxPerSecond: [0.001, 1e6],
    minPerSecond: [0.001, 1e6],
    safety: [0.01, 1],
    decrease: [0.01, 0.99],
    cooldownMs: [0, 3_600_000],
    probe: [0, 1],
    holdMs: [0, 3_600_000],
  };
  for (const [name, [low, high]] of Object.entries(ranges)) {
    const value = config[name as keyof AdaptiveRateConfig];
    if (!(value >= low && value <= high)) {
      throw new InvalidOptionError(
        `adaptive.${name}`,
        `must be a number from ${low} to ${high}, got ${value}.`,
      );
    }
  }
  return config;
}

/** The config as the scripts' ARGV take it, in order. */
export function adaptiveArgs(config: AdaptiveRateConfig): string[] {
  return [
    config.initialPerSecond,
    config.minPerSecond,
    config.maxPerSecond,
    config.safety,
    config.decrease,
    config.cooldownMs,
    config.probe,
    config.holdMs,
  ].map(String);
}
