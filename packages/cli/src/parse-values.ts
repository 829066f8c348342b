import { parseRate, type Rate } from '@capital/core';
import { CliUsageError } from './cli-error.js';

/** A whole number flag within bounds. */
export function parseWholeNumber(
  flag: string,
  text: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || value < min || value > max) {
    throw new CliUsageError(
      `${flag} takes a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got "${text}".`,
    );
  }
  return value;
}

/** A share from 0 to 1 (`0.2`), or a percentage (`20%`). */
export function parseShare(flag: string, text: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const number = percent ? trimmed.slice(0, -1).trim() : trimmed;
  const value = Number(number) / (percent ? 100 : 1);
  // Decimals only: Number() would also read '' (and so a bare '%') as 0, and '0x1' as 1.
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(number) || value < 0 || value > 1) {
    throw new CliUsageError(`${flag} takes a share from 0 to 1 (or 0% to 100%), got "${text}".`);
  }
  return value;
}

/** A rate (`9/1s`), or `off` for none. */
export function parseRateFlag(flag: string, text: string): Rate | undefined {
  if (text.trim().toLowerCase() === 'off') return undefined;
  try {
    return parseRate(text, flag);
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}

/**
 * A token given on the command line. An empty one (`--token ''`, or `--token "$UNSET_VAR"`) is a
 * mistake in the command line, not a token the API should refuse; the token itself never goes
 * into the message.
 */
export function parseToken(flag: string, text: string): string {
  if (text.trim() === '') throw new CliUsageError(`${flag}: the token is empty.`);
  return text;
}

/** An http(s) URL. */
export function parseUrl(flag: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliUsageError(`${flag} takes a URL such as http://127.0.0.1:8080, got "${text}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliUsageError(`${flag} takes an http or https URL, got "${url.protocol}".`);
  }
  return url.href.replace(/\/$/, '');
}

/** A file name made of a parameter's value: `new york` → `new-york`, `Zürich` → `zurich`. */
export function slug(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '') || 'all'
  );
}
