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
    let json: string | undefined;
    try {
      json = JSON.stringify(record);
    } catch (error) {
      onError(index, error as Error);
    }
    if (json === undefined || json[0] !== '{')
      onError(index, new TypeError('the record is not a JSON object.'));
    const key = recordKey ? `,"_record_key":${JSON.stringify(recordKey(record))}` : '';
    text += `${json.length === 2 ? '{' : `${json.slice(0, -1)},`}${suffix}${key}}\n`;
  });
  return text;
}
