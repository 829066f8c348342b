import { InvalidOptionError } from '../errors.js';

/** A rate limit: `limit` permits per `periodMs`, of which up to `burst` may be taken at once. */
export type Rate = {
  readonly limit: number;
  readonly periodMs: number;
  /**
   * How many permits may be granted back to back after an idle spell.
   * @default 1 — permits evenly spaced, so no window of `periodMs` ever holds more than `limit`
   */
  readonly burst: number;
};

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Reads a rate written as `LIMIT/PERIOD`, with an optional `,burst=N`: `9/1s`, `100/1m`,
 * `5/500ms`, `20/1s,burst=5`. A period without a number means one of it (`9/s`).
 *
 * @throws {InvalidOptionError} naming `option` when the text is not such a rate.
 * @example parseRate('9/1s') // { limit: 9, periodMs: 1000, burst: 1 }
 */
export function parseRate(text: string, option = 'rate'): Rate {
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h)\s*(?:,\s*burst\s*=\s*(\d+)\s*)?$/.exec(text);
  if (!match) {
    throw new InvalidOptionError(
      option,
      `"${text}" is not a rate; write LIMIT/PERIOD such as 9/1s, 100/1m or 5/500ms.`,
    );
  }
  const [, limit, amount, unit, burst] = match;
  return checkRate(
    {
      limit: Number(limit),
      periodMs: Number(amount ?? 1) * (units[unit ?? 's'] ?? 1000),
      burst: burst === undefined ? 1 : Number(burst),
    },
    option,
  );
}

/** Checks a rate's numbers: a positive limit and period, a burst from 1 to the limit. */
export function checkRate(rate: Rate, option = 'rate'): Rate {
  if (!Number.isInteger(rate.limit) || rate.limit < 1) {
    throw new InvalidOptionError(option, `the limit must be a whole number ≥ 1, got ${rate.limit}.`);
  }
  if (!(rate.periodMs > 0) || !Number.isFinite(rate.periodMs)) {
    throw new InvalidOptionError(option, `the period must be longer than 0 ms, got ${rate.periodMs}.`);
  }
  if (!Number.isInteger(rate.burst) || rate.burst < 1 || rate.burst > rate.limit) {
    throw new InvalidOptionError(
      option,
      `the burst must be a whole number from 1 to the limit, got ${rate.burst}.`,
    );
  }
  return rate;
}

/** Writes a rate back in the form {@link parseRate} reads. */
export function formatRate(rate: Rate): string {
  const period = rate.periodMs % 1000 === 0 ? `${rate.periodMs / 1000}s` : `${rate.periodMs}ms`;
  return `${rate.limit}/${period}${rate.burst === 1 ? '' : `,burst=${rate.burst}`}`;
}
