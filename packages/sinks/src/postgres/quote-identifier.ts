import { InvalidOptionError } from '@capital/core';
import { escapeIdentifier } from 'pg';

/**
 * PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN − 1) and silently drops the
 * rest, even of a quoted one, so two long names could land on one table.
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
const maxIdentifierBytes = 63;

/**
 * Quotes a table, schema or column name for SQL, exactly as given: double quotes around it,
 * each double quote inside doubled (pg's `escapeIdentifier`). Whatever the name holds — spaces,
 * capitals, `x"; DROP TABLE y; --` — it stays one identifier and can never end the statement.
 * Names PostgreSQL cannot hold faithfully are refused rather than altered.
 *
 * @param name - The name, used verbatim (so `Listings` and `listings` are different tables).
 * @param option - The option the name came from, for the error.
 * @returns The quoted identifier, e.g. `"wtd_stock_search"`.
 * @throws {InvalidOptionError} for an empty name, a NUL character, or more than 63 bytes.
 * @example quoteIdentifier('x"; DROP TABLE y; --', 'table') // '"x""; DROP TABLE y; --"'
 */
export function quoteIdentifier(name: string, option: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidOptionError(option, 'must be a non-empty string.');
  }
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (name.includes('\0')) {
    throw new InvalidOptionError(
      option,
      `${shown} contains a NUL character, which PostgreSQL names cannot hold.`,
    );
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > maxIdentifierBytes) {
    throw new InvalidOptionError(
      option,
      `${shown} is ${bytes} bytes long; PostgreSQL would silently cut it to ${maxIdentifierBytes}.`,
    );
  }
  return escapeIdentifier(name);
}

/**
 * A table name derived from a stream name: lower case, every run of characters other than
 * `a-z`, `0-9` and `_` replaced by one `_`, so it needs no quoting to be typed in `psql`.
 *
 * @example tableNameOf('wtd.stock_search') // 'wtd_stock_search'
 */
export function tableNameOf(stream: string): string {
  return stream
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * The start of a name, cut by whole characters to at most `maxBytes` bytes of UTF-8: room for a
 * suffix in a derived name (a build table's, an index's) within PostgreSQL's 63 bytes.
 */
export function prefixOf(name: string, maxBytes: number): string {
  let prefix = name;
  while (Buffer.byteLength(prefix, 'utf8') > maxBytes) prefix = prefix.slice(0, -1);
  return prefix;
}
