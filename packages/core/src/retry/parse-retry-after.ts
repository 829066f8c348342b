/**
 * Reads how long a server asked us to wait, in ms: the non-standard `Retry-After-Ms` when
 * present (exact), otherwise `Retry-After` as seconds or as an HTTP date.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const exactText = headers.get('retry-after-ms');
  // Number('') is 0: an empty header must not read as "retry now".
  const exact = exactText === null || exactText.trim() === '' ? Number.NaN : Number(exactText);
  if (Number.isFinite(exact) && exact >= 0) return exact;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
