import { type AdaptiveRateOptions, parseRate, type Rate } from '@capital/core';
import { CliUsageError } from './cli-error.js';

/** `--rate auto`: the options of the learnt rate, and the fixed rate that stands in for it. */
export type AutoRate = {
  readonly adaptive: AdaptiveRateOptions;
  /** For layered keys and while Redis is away: the ceiling, or 1/1s without one. */
  readonly rate: Rate;
};

/**
 * Reads `--rate auto`, `auto,max=20/1s` (a ceiling the learnt rate never passes) or
 * `auto,start=5/1s` (where an unknown key starts; 1/s by default). Anything else is not auto.
 * @returns `undefined` when the text is not `auto…`.
 * @throws {CliUsageError} for an `auto` with a part that does not parse.
 * @example parseAutoRate('--rate', 'auto,max=20/1s')?.adaptive.maxPerSecond // 20
 */
export function parseAutoRate(flag: string, text: string): AutoRate | undefined {
  const [head, ...parts] = text.split(',').map((part) => part.trim());
  if (head?.toLowerCase() !== 'auto') return undefined;
  let maxPerSecond: number | undefined;
  let initialPerSecond: number | undefined;
  let ceiling: Rate | undefined;
  for (const part of parts) {
    const match = /^(max|start)\s*=\s*(.+)$/.exec(part);
    const rate = match?.[2] === undefined ? undefined : parseQuietly(match[2]);
    if (match === null || rate === undefined) {
      throw new CliUsageError(
        `${flag} auto takes max=RATE and start=RATE, such as auto,max=20/1s; got ${JSON.stringify(part.slice(0, 40))}.`,
      );
    }
    const perSecond = (rate.limit * 1000) / rate.periodMs;
    if (match[1] === 'max') {
      maxPerSecond = perSecond;
      ceiling = { ...rate, burst: 1 };
    } else initialPerSecond = perSecond;
  }
  return {
    adaptive: { maxPerSecond, initialPerSecond },
    rate: ceiling ?? { limit: 1, periodMs: 1000, burst: 1 },
  };
}

function parseQuietly(text: string): Rate | undefined {
  try {
    return parseRate(text);
  } catch {
    return undefined;
  }
}
