import type { RecordKey, SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';

/** A page's records as the body of a text-format `COPY`, ready to send. */
export type CopyRows = {
  /** One line per record: `ordinal TAB record key TAB record JSON`. */
  readonly text: string;
  readonly rows: number;
};

/**
 * Serialises a page's records for `COPY staging (ord, record_key, record) FROM STDIN`, in
 * PostgreSQL's text format: fields separated by tabs, and backslash, newline, carriage return
 * and tab written as `\\`, `\n`, `\r`, `\t` (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2).
 * The ordinal lets the upsert keep the last of two records with one key.
 *
 * It runs before any connection is borrowed, so a record that cannot be stored fails the page
 * before anything of it reaches the database.
 *
 * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE` for a record `JSON.stringify` rejects (a
 * BigInt, a cycle) or turns into nothing (`undefined`, a function), or that holds a NUL
 * character, which `jsonb` cannot store; `RECORD_KEY_INVALID` when `recordKey` throws or
 * returns something else than a string without NUL characters.
 */
export function copyRows<D>(page: SinkPage<D>, recordKey: RecordKey<D>): CopyRows {
  let text = '';
  page.data.forEach((record, index) => {
    const json = serialise(page, record, index);
    const key = keyOf(page, recordKey, record, index);
    // JSON.stringify escapes every control character, so a backslash is all that needs doubling.
    text += `${index}\t${escapeCopyText(key)}\t${json.includes('\\') ? json.replaceAll('\\', '\\\\') : json}\n`;
  });
  return { text, rows: page.data.length };
}

/** Escapes a value for a field of a text-format COPY. */
export function escapeCopyText(value: string): string {
  return value.replace(/[\\\n\r\t]/g, (character) => copyEscapes[character] ?? character);
}

const copyEscapes: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A `\u0000` escape in JSON text that is not itself an escaped backslash followed by `u0000`. */
const escapedNul = /(?<!\\)(?:\\\\)*\\u0000/;

function serialise<D>(page: SinkPage<D>, record: D, index: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (error) {
    throw notSerialisable(page, index, (error as Error).message, error);
  }
  if (json === undefined) throw notSerialisable(page, index, `${typeof record} is not JSON`);
  if (json.includes('\\u0000') && escapedNul.test(json)) {
    throw notSerialisable(page, index, 'it holds a NUL character (\\u0000), which jsonb cannot store');
  }
  return json;
}

function keyOf<D>(page: SinkPage<D>, recordKey: RecordKey<D>, record: D, index: number): string {
  let key: unknown;
  try {
    key = recordKey(record);
  } catch (error) {
    throw new SinkWriteError(page, `recordKey threw for record ${index}: ${(error as Error).message}`, {
      code: 'RECORD_KEY_INVALID',
      cause: error,
    });
  }
  if (typeof key !== 'string' || key.includes('\0')) {
    const what = typeof key === 'string' ? 'a string with a NUL character' : String(key);
    throw new SinkWriteError(
      page,
      `the key of record ${index} is ${what}, not a string PostgreSQL can store.`,
      {
        code: 'RECORD_KEY_INVALID',
      },
    );
  }
  return key;
}

function notSerialisable(page: SinkPage, index: number, reason: string, cause?: unknown): SinkWriteError {
  return new SinkWriteError(page, `record ${index} cannot be serialised as JSON: ${reason}.`, {
    code: 'RECORD_NOT_SERIALISABLE',
    cause,
  });
}
