import { defaultDeferAfterMs } from '@capital/core';
import { CliUsageError } from './cli-error.js';

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * A duration flag, in ms: `30s`, `2m`, `500ms`, `1.5h`, or a bare number of seconds (`30`).
 * @throws {CliUsageError} for anything else, or a duration beyond `maxMs`.
 * @example parseDurationFlag('--sink-retry-budget', '2m') // 120_000
 */
export function parseDurationFlag(flag: string, text: string, maxMs = 7 * 24 * 3_600_000): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const ms = match
    ? Math.round(Number(match[1]) * unitMs[(match[2] ?? 's') as keyof typeof unitMs])
    : Number.NaN;
  if (!(ms >= 0) || ms > maxMs) {
    throw new CliUsageError(`${flag} takes a duration such as 30s, 2m or 500ms, got "${text}".`);
  }
  return ms;
}

/**
 * `--defer-after`: the longest pause the API may ask for that a run waits out, in ms; `off`
 * never defers. Default 5 minutes.
 * @throws {CliUsageError} as {@link parseDurationFlag} does.
 * @example parseDeferAfterFlag('1h') // 3_600_000
 */
export function parseDeferAfterFlag(text: string | undefined): number {
  if (text === undefined) return defaultDeferAfterMs;
  if (text.trim() === 'off') return Number.POSITIVE_INFINITY;
  return parseDurationFlag('--defer-after', text);
}
