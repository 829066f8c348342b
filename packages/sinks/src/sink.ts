import type { Checkpoint, Task, WriteDisposition } from '@capital/core';
import type { FinishRun, OpenRunOptions, RunLedger } from './runs.js';

/** A page as a sink receives it: what `crawl` emits, without the acknowledgement. */
export type SinkPage<D = unknown> = {
  /** The task key of the page: its identity across runs. */
  readonly key: string;
  readonly task: Task;
  readonly data: readonly D[];
  /** The page's next tasks; durable sinks record them so a resumed run can walk past the page. */
  readonly nextTasks: readonly Task[];
  /** When the page arrived, in ms since the epoch. */
  readonly fetchedAt: number;
  /**
   * The run the page belongs to, when the caller opened it elsewhere (a worker writing the run
   * `capital enqueue --sink` opened): the sink stores the page under it and opens no run of its
   * own. Absent: the page belongs to the run the sink opens.
   */
  readonly runId?: string | undefined;
  /**
   * The crawl's last page (`CrawlPage.last`): a sink whose run was opened with `finish`
   * ({@link OpenRunOptions.finish}) finishes the run in the transaction that stores this page,
   * once every earlier page of the run is stored; `close()` then has nothing left to finish.
   */
  readonly last?: boolean | undefined;
};

/** What a sink reports for one page it stored. */
export type PageReceipt = {
  readonly key: string;
  readonly records: number;
  /**
   * The page's run was over when it came (finished, or superseded by a newer run of its job),
   * so the sink stored nothing of it: a late delivery of a worker's job. PostgreSQL, for pages
   * of runs opened elsewhere written with `append` or `replace`.
   */
  readonly stale?: true | undefined;
};

/** What a sink reports when it closes. */
export type SinkSummary = {
  readonly pages: number;
  readonly records: number;
  /** Where the data is: a file path, a table, a topic. */
  readonly location: string;
};

/**
 * The contract every sink follows.
 *
 * - `write` resolves only once the page is durable (on disk, committed, acknowledged by the
 *   broker); the page is acknowledged to the crawl after that, so a slow sink slows the crawl.
 *   A sink with `maxPendingWrites` above 1 takes several writes at once and may group them.
 * - `close` flushes and finalises (renames the file, ends the transaction), finishes the run
 *   (with its watermark, for an incremental run) unless the last page's write finished it
 *   already (see {@link SinkPage.last}), and reports.
 * - `abort` throws away what is not final, so a failed run never leaves output that looks complete.
 */
export type Sink<D = unknown> = {
  write(page: SinkPage<D>): Promise<PageReceipt>;
  close(finish?: FinishRun): Promise<SinkSummary>;
  abort(reason?: unknown): Promise<void>;
  /**
   * Present on sinks that record finished pages durably with their data (PostgreSQL, Kafka):
   * a resumed run asks it which pages are stored already and skips fetching them.
   */
  readonly checkpoint?: Checkpoint | undefined;
  /**
   * Present on sinks that keep runs (all three of Capital's): which run the writes belong to,
   * resumed or new, and the job's earlier runs and watermark.
   */
  readonly runs?: RunLedger;
  /** What a finished run does with the data stored before it. @default 'merge' */
  readonly disposition?: WriteDisposition;
  /**
   * How many `write` calls the sink accepts at once: `writeTo` keeps up to this many pages in
   * flight, and the sink may store them together (one transaction for all of them), resolving
   * each `write` once its page is durable. Order between pages in flight is not kept, so only
   * sinks where it does not matter (idempotent ones) raise it.
   * @default 1
   */
  readonly maxPendingWrites?: number | undefined;
  /**
   * How many records the sink would have in flight at once, to store them in few commits (a
   * commit costs a disk flush whatever its size): `capital run`, unless told `--buffer`, lets
   * the crawl fetch ahead up to this many records, in up to `maxPendingWrites` pages, so that
   * small pages form large groups while memory stays bounded by records, not pages.
   * @default undefined: the crawl's own buffer of 2 × concurrency pages
   */
  readonly maxPendingRecords?: number | undefined;
};

/** Says which field identifies a record, so the record key travels with every record. */
export type RecordKey<D> = (record: D) => string;
