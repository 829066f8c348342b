/**
 * Reads `--created-gte`: a Unix time in seconds (`1735689600`), a date (`2025-01-01`, taken as
 * UTC midnight) or an ISO 8601 time with a zone (`2025-01-01T12:00:00Z`).
 *
 * @returns Unix seconds, rounded up so that no earlier object is included.
 * @throws {RangeError} for anything else.
 * @example parseCreatedGte('2025-01-01') // 1735689600
 */
export function parseCreatedGte(text: string): number {
  const value = text.trim();
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(iso);
  const ms = zoned ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms) || ms < 0) {
    throw new RangeError(
      `--created-gte takes Unix seconds, a date (2025-01-01) or an ISO time with a zone, got "${value.slice(0, 40)}".`,
    );
  }
  return Math.ceil(ms / 1000);
}
