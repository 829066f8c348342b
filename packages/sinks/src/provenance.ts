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

/** A record with its provenance fields added after the API's fields. */
export function withProvenance<D>(
  record: D,
  provenance: Omit<Provenance, '_record_key'>,
  recordKey: RecordKey<D> | undefined,
): Record<string, unknown> {
  const row: Record<string, unknown> = { ...(record as Record<string, unknown>), ...provenance };
  if (recordKey) row._record_key = recordKey(record);
  return row;
}
