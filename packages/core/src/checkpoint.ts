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
