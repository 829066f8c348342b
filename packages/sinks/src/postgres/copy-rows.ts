import type { RecordKey, SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { TextSlab } from './text-slab.js';

/**
 * What each record's line of a `COPY` holds around its two fields (`record key TAB record JSON`):
 * each disposition's COPY adds its own (see `stagingShape`, `appendTail`).
 */
export type CopyLineShape = {
  /** Written first on each line: merge's `page ord` field and its tab. @default '' */
  readonly head?: string | undefined;
  /** Whether the record's index in its page follows the head, as a field of its own. @default false */
  readonly numbered?: boolean | undefined;
  /** Written last on each line, before the newline: append's provenance fields, each led by a tab. @default '' */
  readonly tail?: string | undefined;
};

/** What a page writes besides its records: one value per provenance column, the same for every row. */
export type PageValues = {
  /** The run the page belongs to. */
  readonly runId: string;
  readonly connector: string | null;
  readonly taskKey: string;
  readonly page: number | null;
  readonly fetchedAt: string | null;
};

/**
 * Serialises a page's records for a `COPY … (record_key, value …) FROM STDIN`, in PostgreSQL's
 * text format: one line per record, in the page's order, each `head`, then the record key, a tab
 * and the record's JSON, then `tail` and a newline; fields separated by tabs, and backslash,
 * newline, carriage return and tab written as `\\`, `\n`, `\r`, `\t`
 * (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2).
 *
 * It runs before the page's batch is sent, so a record that cannot be stored fails its page alone,
 * before anything of it reaches the database. One pass builds the page's text: no line is kept
 * on its own, nor copied again to add its page's fields (this runs once per record).
 *
 * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE` for a record `JSON.stringify` rejects (a
 * BigInt, a cycle) or turns into nothing (`undefined`, a function), or that holds what `jsonb`
 * cannot store (a NUL character, a lone UTF-16 surrogate); `RECORD_KEY_INVALID` when `recordKey`
 * throws or returns something else than a string without NUL characters.
 */
export function copyText<D>(page: SinkPage<D>, recordKey: RecordKey<D>, shape: CopyLineShape = {}): string {
  const slab = new TextSlab(1024);
  slab.begin();
  copyLines(page, recordKey, shape, slab);
  return slab.end().toString('utf8');
}

/**
 * Writes a page's lines (as {@link copyText} says) straight into `slab`'s current piece, each
 * part as it comes: no string of a line, nor of the page, is built (this runs once per record).
 *
 * @throws as {@link copyText}; what it wrote of the page stays in the piece, which the next
 * `begin` drops.
 */
export function copyLines<D>(
  page: SinkPage<D>,
  recordKey: RecordKey<D>,
  shape: CopyLineShape,
  slab: TextSlab,
): void {
  const { head = '', numbered = false, tail = '' } = shape;
  const end = Buffer.from(`${tail}\n`, 'utf8');
  const { data } = page;
  for (let index = 0; index < data.length; index += 1) {
    const record = data[index] as D;
    const field = jsonField(page, record, index);
    const key = escapeCopyText(keyOf(page, recordKey, record, index));
    if (head !== '') slab.write(head);
    if (numbered) slab.write(`${index}\t`);
    slab.write(key);
    slab.write('\t');
    slab.write(field);
    slab.writeBytes(end);
  }
}

/**
 * The page's own line in the batch's `COPY`: no record key, and as its value the page's
 * provenance, next tasks and record count, which the upserts read from there.
 *
 * @throws {SinkWriteError} `PAGE_NOT_SERIALISABLE` when the next tasks cannot be serialised, or
 * hold what `jsonb` cannot store.
 */
export function pageLine(page: SinkPage, values: PageValues, records: number): string {
  let json: string;
  try {
    json = JSON.stringify({
      run_id: values.runId,
      connector: values.connector,
      task_key: values.taskKey,
      page: values.page,
      fetched_at: values.fetchedAt,
      next_tasks: page.nextTasks,
      records,
    });
  } catch (error) {
    throw new SinkWriteError(
      page,
      `its next tasks cannot be serialised as JSON: ${(error as Error).message}.`,
      {
        code: 'PAGE_NOT_SERIALISABLE',
        cause: error,
      },
    );
  }
  const refused = refusedBy(json);
  if (refused !== undefined) {
    const problem = `its task key or next tasks cannot be stored as jsonb: ${describeEscape(refused)}.`;
    throw new SinkWriteError(page, problem, {
      code: 'PAGE_NOT_SERIALISABLE',
    });
  }
  return `-1\t\\N\t${json.replaceAll('\\', '\\\\')}`;
}

/** Escapes a value for a field of a text-format COPY. */
export function escapeCopyText(value: string): string {
  // Most keys need nothing: testing first is several times cheaper than replacing.
  return copySpecial.test(value)
    ? value.replace(copySpecials, (character) => copyEscapes[character] ?? character)
    : value;
}

const copySpecial = /[\\\n\r\t]/;
const copySpecials = /[\\\n\r\t]/g;

const copyEscapes: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A `\u0000` or `\ud800`–`\udfff` escape in JSON text that is not itself an escaped backslash
 * followed by `u…`. JSON.stringify writes a surrogate pair as the character itself, so every
 * surrogate escape it writes is a lone one, which `jsonb` refuses as it refuses NUL.
 */
const refusedEscape = /(?<!\\)(?:\\\\)*\\u(0000|d[89a-f][0-9a-f]{2})/;

/** The escape (`0000`, `d800`…) for which `jsonb` would refuse this JSON text, if any. */
function refusedBy(json: string): string | undefined {
  return json.includes('\\u') ? refusedEscape.exec(json)?.[1] : undefined;
}

function describeEscape(refused: string): string {
  return refused === '0000'
    ? 'it holds a NUL character (\\u0000)'
    : `it holds a lone UTF-16 surrogate (\\u${refused})`;
}

/** The record's JSON, checked for what `jsonb` refuses, as a field of a text-format COPY. */
function jsonField<D>(page: SinkPage<D>, record: D, index: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (error) {
    throw notSerialisable(page, index, (error as Error).message, error);
  }
  if (json === undefined) throw notSerialisable(page, index, `${typeof record} is not JSON`);
  // Without a backslash there is no escape to refuse, nor anything to escape for COPY.
  if (!json.includes('\\')) return json;
  const refused = refusedBy(json);
  if (refused === '0000') {
    throw notSerialisable(page, index, `${describeEscape(refused)}, which jsonb cannot store`);
  }
  if (refused !== undefined) {
    throw new SinkWriteError(page, `record ${index} cannot be stored as jsonb: ${describeEscape(refused)}.`, {
      code: 'RECORD_NOT_SERIALISABLE',
    });
  }
  // JSON.stringify escapes every control character, so a backslash is all that needs doubling.
  return json.replaceAll('\\', '\\\\');
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
