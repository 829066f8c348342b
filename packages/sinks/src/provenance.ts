import { labelTask } from '@capital/core';
import type { RecordKey, SinkPage } from './sink.js';

/**
 * Where a record came from, in fields whose names start with `_` so they never clash with an
 * API's own: the page's task key, its page number, when it was fetched, and the record key.
 */
export type Provenance = {
  readonly _task_key: string;
  readonly _page: number | null;
  readonly _fetched_at: string;
  readonly _record_key?: string;
};

/** The provenance of every record of a page, computed once per page. */
export function pageProvenance(page: SinkPage): Omit<Provenance, '_record_key'> {
  return {
    _task_key: page.key,
    _page: labelTask(page.task, page.key).page ?? null,
    _fetched_at: new Date(page.fetchedAt).toISOString(),
  };
}

/**
 * Serialises a page's records as JSON lines with their provenance appended. The provenance's
 * JSON is built once per page and spliced into each record's, which is several times cheaper
 * than copying every record into a new object (this runs once per record).
 *
 * @throws what `JSON.stringify` throws (a BigInt, a cycle), with the record's index.
 */
export function provenanceLines<D>(
  page: SinkPage<D>,
  recordKey: RecordKey<D> | undefined,
  onError: (index: number, error: Error) => never,
): string {
  const suffix = JSON.stringify(pageProvenance(page)).slice(1, -1);
  let text = '';
  page.data.forEach((record, index) => {
    const json = recordJson(record, index, onError);
    const key = recordKey ? keyField(recordKey(record)) : '';
    text += `${json.length === 2 ? '{' : `${json.slice(0, -1)},`}${suffix}${key}}\n`;
  });
  return text;
}

/** What {@link provenanceLinesInto} wrote: the buffer (`buffer` itself, or a bigger one) and how much of it. */
export type EncodedLines = { readonly buffer: Buffer; readonly bytes: number };

/**
 * {@link provenanceLines}, the same bytes, encoded as UTF-8 straight into `buffer` (or into a
 * bigger one when it is too small), {@link encodedBatchChars} characters of lines at a time: the
 * page's text never sits on the JS heap whole. Joined into one string, it was flattened (another
 * copy) before it was encoded, two ~1 MB strings for a 1 MB page, and a new 1 MB buffer a page
 * that died only at a mark-compact; encoded a record at a time, small records cost a native call
 * each (~15% more than in batches, for 50 records of 300 bytes).
 * `onKey` is told each record's key, as `recordKey` returned it.
 *
 * @throws what `JSON.stringify` throws (a BigInt, a cycle), with the record's index.
 */
export function provenanceLinesInto<D>(
  buffer: Buffer,
  page: SinkPage<D>,
  recordKey: RecordKey<D> | undefined,
  onError: (index: number, error: Error) => never,
  onKey?: (key: string) => void,
): EncodedLines {
  const suffix = JSON.stringify(pageProvenance(page)).slice(1, -1);
  let chunk = buffer;
  let at = 0;
  let text = '';
  const encode = () => {
    // At most 3 bytes a UTF-16 unit.
    const most = at + text.length * 3;
    if (most > chunk.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(chunk.length * 2, most));
      chunk.copy(bigger, 0, 0, at);
      chunk = bigger;
    }
    at += chunk.write(text, at);
    text = '';
  };
  const records = page.data;
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index] as D;
    const json = recordJson(record, index, onError);
    let key = '';
    if (recordKey) {
      const value = recordKey(record);
      onKey?.(value);
      key = keyField(value);
    }
    // The record's JSON without its closing brace, then the provenance and the key.
    text += `${json.length === 2 ? '{' : `${json.slice(0, -1)},`}${suffix}${key}}\n`;
    if (text.length >= encodedBatchChars) encode();
  }
  if (text !== '') encode();
  return { buffer: chunk, bytes: at };
}

/** The characters of lines {@link provenanceLinesInto} encodes at once. */
const encodedBatchChars = 16_384;

/** A record's JSON, which must be an object (its provenance is spliced in before its `}`). */
function recordJson(record: unknown, index: number, onError: (index: number, error: Error) => never): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (error) {
    onError(index, error as Error);
  }
  if (json === undefined || json[0] !== '{')
    onError(index, new TypeError('the record is not a JSON object.'));
  return json;
}

/** The record key's field, spliced in after the provenance. */
function keyField(key: string): string {
  return `,"_record_key":${JSON.stringify(key)}`;
}
