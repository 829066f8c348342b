import type { Task } from './task.js';

/**
 * What a resumed crawl asks a durable store: "which of these tasks are already stored?". The
 * store answers with the next tasks it recorded for each stored page, so the crawl can skip
 * fetching those pages and still walk on past them. The PostgreSQL sink records a page's task
 * key and next tasks in the same transaction as its rows, so its answer is never ahead of the data.
 */
export type Checkpoint<T extends Task = Task> = {
  /** The stored pages among `keys`, each with the next tasks recorded for it. */
  completed(keys: readonly string[]): Promise<ReadonlyMap<string, readonly T[]>>;
};

/**
 * Where a run stands. `running` is written when it opens and stays if its process dies
 * (SIGKILL leaves no chance to say more), so every run not `finished` is one to resume.
 */
export type RunState = 'running' | 'interrupted' | 'finished';

/**
 * What a finished run does with what was stored before it: `append` adds its records,
 * `merge` upserts them by record key, `replace` swaps its complete result in for the old one
 * when it finishes (nothing of it is visible before, and a failed run leaves the old data).
 */
export type WriteDisposition = 'append' | 'merge' | 'replace';

/** One run of a job, as the sink that keeps it reports it. */
export type RunInfo = {
  /** Short and unique: 8 hex digits. */
  readonly id: string;
  /** The job it belongs to (connector and parameters); the sink target is where it is kept. */
  readonly job: string;
  readonly state: RunState;
  readonly disposition: WriteDisposition;
  /** When the run first opened (a resume keeps it), in ms since the epoch. */
  readonly startedAt: number;
  /** When it finished, if it has. */
  readonly finishedAt?: number | undefined;
  /** Pages stored so far (a finished run: all of them). */
  readonly pages: number;
  /** The cursor value its seeds asked from (incremental runs); a resume asks from the same. */
  readonly since?: string | undefined;
  /** The watermark it committed when it finished (incremental runs). */
  readonly watermark?: string | undefined;
  /**
   * Set on an `interrupted` run the API deferred (a 429 asking for a pause beyond
   * `--defer-after`): when it said requests may start again, in ms since the epoch. Until then
   * `capital run` does not resume it. Gone once the run runs again.
   */
  readonly resumeAt?: number | undefined;
};

/** Which run to write: the latest unfinished one or a new one (`auto`), a new one, or a named one. */
export type RunChoice =
  | { readonly kind: 'auto' }
  | { readonly kind: 'fresh' }
  | { readonly kind: 'resume'; readonly id: string };
