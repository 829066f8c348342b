import {
  type Checkpoint,
  isCapitalError,
  isRunDeferred,
  labelTask,
  type Task,
  type WriteDisposition,
} from '@capital/core';
import type { PoolClient } from 'pg';
import { GroupCommit, type Outcome } from '../group-commit.js';
import type { FinishRun, FinishRunById, OpenedRun, OpenRunOptions, RunLedger } from '../runs.js';
import type { PageReceipt, Sink, SinkPage, SinkSummary } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { type AppendPage, appendBatch, appendTail, pagesRow } from './append-batch.js';
import { copyLines, type PageValues, pageLine } from './copy-rows.js';
import type { CopyPiece } from './pipelined-copy.js';
import { connectWithin, openPostgresConnection, type PostgresConnection } from './postgres-connection.js';
import {
  buildTableOf,
  finishRun,
  finishRunById,
  finishRunIn,
  interruptRun,
  listRuns,
  openRun,
  type RunTables,
  resetRuns,
  runDisposition,
} from './postgres-runs.js';
import { PostgresSinkError, retriesSpentError, toPostgresSinkError } from './postgres-sink-error.js';
import {
  type PostgresSinkConfig,
  type PostgresSinkOptions,
  resolvePostgresSinkOptions,
} from './postgres-sink-options.js';
import { prepareTables } from './prepare-tables.js';
import { mergeRecordsSql } from './records-table-sql.js';
import { retryWithinBudget } from './retry-within-budget.js';
import { sqlFile } from './sql-files.js';
import { staleRunsOf } from './stale-runs.js';
import { batchStatement, type StagedPage, stagingLine, stagingShape, storeBatch } from './store-batch.js';
import { TextSlab } from './text-slab.js';

/**
 * Stores pages in a PostgreSQL table, one row per record key, and records each stored page in a
 * pages table in the same transaction, which makes it a {@link Checkpoint}: a resumed run skips
 * the pages already stored.
 *
 * **Group commit.** It takes up to `maxPendingWrites` writes at once. One transaction runs at a
 * time; the pages that arrive meanwhile wait, and the next transaction stores all of them (up
 * to `maxBatchRows` records): one `COPY` of their rows into a temporary staging table, one
 * upsert (`INSERT … SELECT DISTINCT ON … ON CONFLICT (record_key) DO UPDATE`; of two records with
 * one key the last to arrive wins) and one insert into the pages table, sent as one query, then
 * one `COMMIT`. Each `write` resolves only after the `COMMIT` of its batch, so nothing is
 * acknowledged before it is durable, and replaying a page leaves one row per record. A batch
 * that fails fails each of its pages, and one that fails on one page's data is stored again
 * page by page, so that only that page fails.
 *
 * **Runs opened elsewhere.** A page that names its run (`SinkPage.runId`: a worker writing the
 * run `capital enqueue` opened) is stored as that run was opened — merge, append, or into a
 * `replace` run's build table — read once per run from the runs table, never from the page.
 * Such pages may come twice (a job run again after its worker stalled): merge absorbs that, and
 * for append and replace the page's checkpoint is inserted first, in its transaction, so a page
 * its run holds already adds no row.
 *
 * **Finishing.** A run opened with `finish` (`runs.open({ finish })`) is finished in the
 * transaction of the crawl's last page (`SinkPage.last`): the runs row (`finished`, watermark),
 * and for `replace` the table swap, commit with that page's rows and checkpoint, after every
 * earlier batch (one transaction at a time). Otherwise, or when a page failed, `close()` finishes
 * it (if every page was stored) in a transaction of its own.
 *
 * **Late pages.** A page of a run opened elsewhere whose run is over (finished, or superseded by a
 * newer run of its job) is stored not at all, whatever the disposition: its write resolves with
 * `stale: true` (counted in `stalePages`), so a worker's late job neither adds rows again, nor
 * upserts older records over a later run's, nor fails for good.
 *
 * `close()` waits for the writes it took and ends the pool if the sink made it; `abort()` cuts
 * off the transaction in flight (the server rolls it back), fails the writes still waiting and
 * releases the connections. Pages committed before stay: they are durable, and idempotent when
 * a later run writes them again.
 *
 * @example
 * const sink = new PostgresSink({ connection: 'postgres://capital@127.0.0.1/warehouse',
 *   stream: 'wtd.stock_search', recordKey: (listing: Listing) => listing.symbol });
 * await runConnector({ connector, params: { search: 'new york' }, sink, baseUrl, resolveCredential });
 */
export class PostgresSink<D = unknown> implements Sink<D> {
  /** Where the sink writes: `postgres://host:port/db schema.table`, never with a password. */
  readonly location: string;
  /** Answers which pages are stored already, from the pages table. */
  readonly checkpoint: Checkpoint;
  /** How many writes the sink takes at once (see {@link PostgresSinkOptions.maxPendingWrites}). */
  readonly maxPendingWrites: number;
  /**
   * Records the sink would have in flight: two batches' worth (`maxBatchRows`), so that one
   * gathers while the other commits.
   */
  readonly maxPendingRecords: number;
  /** The job's runs, in the runs table: which one the writes belong to. */
  readonly runs: RunLedger;
  readonly disposition: WriteDisposition;
  readonly #tables: RunTables;
  #opened: Promise<OpenedRun> | undefined;
  /** The dispositions of runs opened elsewhere whose pages this sink stored, read once each. */
  readonly #runDispositions = new Map<string, Promise<WriteDisposition>>();
  /** Where the pages of a run are stored, once known: each page then stages without waiting. */
  readonly #knownRuns = new Map<string, RunTarget>();
  /** The sink's own run, once opened. */
  #ownRun: RunTarget | undefined;
  /** Where pages are encoded for their COPY. */
  readonly #slab = new TextSlab();
  readonly #config: PostgresSinkConfig<D>;
  readonly #connection: PostgresConnection;
  /** A batch's transaction up to its COMMIT, as one query. */
  readonly #statement: string;
  /** The same without its `BEGIN`, for a batch whose transaction checked its runs first. */
  readonly #statementInTransaction: string;
  readonly #group: GroupCommit<ReadyPending<D>, PageReceipt>;
  readonly #stop = new AbortController();
  /** Connections borrowed now, so that `abort()` can cut them off. */
  readonly #borrowed = new Set<PoolClient>();
  /** Connections whose session has the staging table already. */
  readonly #staged = new WeakSet<PoolClient>();
  readonly #listening = new WeakSet<PoolClient>();
  readonly #pending = new Set<Promise<unknown>>();
  #prepared: Promise<void> | undefined;
  #pages = 0;
  #records = 0;
  /** The next page's place among all the sink took, in the order they came (merge's staging). */
  #sequence = 0;
  #state: 'open' | 'closed' | 'aborted' = 'open';
  /** Whether a page failed: then close() does not finish the run. */
  #incomplete = false;
  /** How the run opened here is to be finished with the crawl's last page (`OpenRunOptions.finish`). */
  #finishOnLast: FinishRunById | undefined;
  /** Whether the last page's transaction finished the run: then close() does not. */
  #finished = false;
  /** Pages of runs that were over when they came (see `AppendBatchOptions.runsTable`). */
  #stalePages = 0;

  /**
   * @throws {InvalidOptionError} for an option out of range or a name PostgreSQL cannot hold.
   * Connects nothing: the first `write` or checkpoint question does.
   */
  constructor(options: PostgresSinkOptions<D>) {
    this.#config = resolvePostgresSinkOptions(options);
    this.#connection = openPostgresConnection(this.#config.connection, this.#config.connectTimeoutMs);
    this.location = `${this.#connection.server} ${this.#config.schema}.${this.#config.table}`;
    this.maxPendingWrites = this.#config.maxPendingWrites;
    this.maxPendingRecords = 2 * this.#config.maxBatchRows;
    this.#statement = batchStatement(mergeRecordsSql(this.#config.names), this.#pagesTable);
    this.#statementInTransaction = batchStatement(
      mergeRecordsSql(this.#config.names),
      this.#pagesTable,
      false,
    );
    this.#group = new GroupCommit({
      maxWrites: this.#config.maxPendingWrites,
      maxSize: this.#config.maxBatchRows,
      sizeOf: (pending) => pending.records,
      commit: (batch) => this.#commitPending(batch),
    });
    this.checkpoint = { completed: (keys) => this.#track(this.#completed(keys)) };
    this.disposition = this.#config.disposition;
    this.#tables = {
      names: this.#config.names,
      table: this.#config.table,
      job: this.#config.job,
      disposition: this.#config.disposition,
    };
    this.runs = {
      open: (options) => this.#open(options),
      list: () =>
        this.#retry(() => this.#prepare().then(() => this.#withClient((c) => listRuns(c, this.#tables)))),
      reset: () =>
        this.#retry(() => this.#prepare().then(() => this.#withClient((c) => resetRuns(c, this.#tables)))),
      finish: (runId, options = {}) =>
        this.#retry(() =>
          this.#prepare().then(() =>
            this.#withClient((c) => finishRunById(c, this.#tables, runId, options.watermark ?? noWatermark)),
          ),
        ),
    };
  }

  /**
   * Opens the run the writes belong to (see {@link RunLedger.open}); the first write or
   * checkpoint question opens the `auto` one when nobody did.
   */
  #open(options: OpenRunOptions = {}): Promise<OpenedRun> {
    if (this.#opened === undefined) this.#finishOnLast = options.finish;
    this.#opened ??= this.#retry(async () => {
      await this.#prepare();
      const opened = await this.#withClient((client) => openRun(client, this.#tables, options));
      this.#ownRun = { runId: opened.run.id, disposition: this.disposition };
      return opened;
    }).catch((error: unknown) => {
      this.#opened = undefined;
      throw error;
    });
    return this.#opened;
  }

  /**
   * Stores a page with the others waiting for the next transaction, and resolves once that
   * transaction is committed.
   *
   * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE`, `RECORD_KEY_INVALID` or
   * `PAGE_NOT_SERIALISABLE` for the page alone, before its batch is sent; `SINK_CLOSED` after `close()` or
   * `abort()`, `SINK_ABORTED` when `abort()` came before the page was committed; otherwise the
   * code of the {@link PostgresSinkError} that is its cause (`POSTGRES_UNREACHABLE`, …), once
   * the retry budget is spent (`retryBudgetMs`).
   */
  write(page: SinkPage<D>): Promise<PageReceipt> {
    if (this.#state !== 'open') {
      this.#incomplete = true;
      const problem = `the PostgreSQL sink is ${this.#state}.`;
      return Promise.reject(new SinkWriteError(page, problem, { code: 'SINK_CLOSED' }));
    }
    // The page joins a batch now (writes made together share one), and is encoded on a turn of
    // its own: a burst of writes (a crawl's window refilled at once) then sends its first batch
    // once that batch's pages are encoded, and encodes the rest while the server stores it.
    const pending: PendingPage<D> = {
      page,
      records: page.data.length,
      staged: undefined,
      encoded: undefined,
      checkpoint: undefined,
    };
    pending.staged = this.#stage(page, pending);
    pending.staged.catch(ignoreError);
    const written = this.#group.submit(pending as ReadyPending<D>);
    // Before the caller hears of the failure: close() must not finish the run.
    written.catch(this.#markIncomplete);
    return this.#track(written);
  }

  readonly #markIncomplete = (): void => {
    this.#incomplete = true;
  };

  /**
   * Encodes a page for its batch's COPY (see {@link StagedPage}), on a turn of the event loop
   * of its own, once its run is open.
   *
   * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE`, `RECORD_KEY_INVALID`,
   * `PAGE_NOT_SERIALISABLE`, or the run's failure to open.
   */
  async #stage(page: SinkPage<D>, pending: PendingPage<D>): Promise<StagedPage<D>> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    // A page of a run opened elsewhere (`capital enqueue`, for workers) opens no run here, and
    // is stored as that run says: the disposition is the run's, not this sink's.
    let target: RunTarget;
    try {
      const known = this.#runOf(page);
      target = known instanceof Promise ? await known : known;
    } catch (error) {
      throw this.#writeError(page, error);
    }
    const { runId, disposition } = target;
    const records = page.data.length;
    // Encoded now, while the batch before it is in the server: the batch only joins bytes.
    const slab = this.#slab;
    if (disposition === 'merge') {
      const values = this.#pageValues(page, runId);
      const sequence = this.#sequence++;
      const line = pageLine(page, values, records);
      slab.begin();
      slab.write(stagingLine(sequence, line));
      copyLines(page, this.#config.recordKey, stagingShape(sequence), slab);
      return { page, records, values, data: slab.end(), pagesRow: '', disposition };
    }
    const { values, row } = this.#checkpointOf(pending, runId);
    slab.begin();
    copyLines(page, this.#config.recordKey, { tail: appendTail(this.#config.names, values) }, slab);
    const data = slab.end();
    pending.encoded = data;
    return { page, records, values, data, pagesRow: row, disposition };
  }

  /**
   * An `append` or `replace` page's provenance and checkpoint row, made once for both ways a
   * batch may store it (streamed, or once encoded), with its next tasks checked as merge's page
   * line checks them (`pageLine`): the row holds them as a literal.
   *
   * @throws {SinkWriteError} `PAGE_NOT_SERIALISABLE`.
   */
  #checkpointOf(pending: PendingPage<D>, runId: string): AppendCheckpoint {
    const made = pending.checkpoint;
    if (made !== undefined && made.values.runId === runId) return made;
    const { page, records } = pending;
    const values = this.#pageValues(page, runId);
    pageLine(page, values, records);
    const checkpoint = { values, row: pagesRow(page, values, records) };
    pending.checkpoint = checkpoint;
    return checkpoint;
  }

  /** What a page of run `runId` writes besides its records. */
  #pageValues(page: SinkPage<D>, runId: string): PageValues {
    const label = labelTask(page.task, page.key);
    return {
      runId,
      connector: this.#config.connector ?? label.type?.split('.')[0] ?? null,
      taskKey: page.key,
      page: label.page ?? null,
      fetchedAt: Number.isFinite(page.fetchedAt) ? new Date(page.fetchedAt).toISOString() : null,
    };
  }

  /** Where a page is stored: known at once after its run's first page, a promise before. */
  #runOf(page: SinkPage<D>): RunTarget | Promise<RunTarget> {
    const { runId } = page;
    if (runId === undefined) {
      return (
        this.#ownRun ??
        this.#track(this.#open()).then(({ run }) => ({ runId: run.id, disposition: this.disposition }))
      );
    }
    return (
      this.#knownRuns.get(runId) ??
      this.#track(this.#dispositionOf(runId)).then((disposition) => {
        const target = { runId, disposition };
        this.#knownRuns.set(runId, target);
        return target;
      })
    );
  }

  /** The disposition of run `runId`, opened elsewhere; a failure is not remembered. */
  #dispositionOf(runId: string): Promise<WriteDisposition> {
    let found = this.#runDispositions.get(runId);
    if (found === undefined) {
      found = this.#retry(async () => {
        await this.#prepare();
        return this.#withClient((client) => runDisposition(client, this.#tables, runId));
      });
      this.#runDispositions.set(runId, found);
      found.catch(() => this.#runDispositions.delete(runId));
    }
    return found;
  }

  /**
   * Waits for the writes it took, finishes the run (for `replace`, swaps its table in), ends
   * the pool the sink made, and reports.
   *
   * @throws {PostgresSinkError} when finishing the run failed: the run stays unfinished (and,
   * for `replace`, the old table stays), so a re-run resumes it.
   */
  async close(finish: FinishRun = {}): Promise<SinkSummary> {
    if (this.#state !== 'open') {
      throw new PostgresSinkError('SINK_CLOSED', `close() called on a ${this.#state} sink.`, {
        location: this.location,
      });
    }
    this.#state = 'closed';
    try {
      await Promise.allSettled(this.#pending);
      // A run with a page that failed is not complete: it stays unfinished, and resumable (for
      // replace, its table is not swapped in). Not finishing opens no run (a worker's sink
      // writing the runs `capital enqueue` opened has none of its own).
      if (finish.finishRun !== false && !this.#incomplete && !this.#finished) {
        const { run } = await this.#open();
        await this.#retry(() =>
          this.#withClient((client) => finishRun(client, this.#tables, run.id, finish.watermark)),
        );
      }
    } finally {
      if (this.#connection.owned) await this.#connection.pool.end();
    }
    return { pages: this.#pages, records: this.#records, location: this.location };
  }

  /**
   * Cuts off what is in flight, fails the writes still waiting, and releases the connections. A
   * transaction not yet committed is rolled back by the server when its connection closes;
   * committed pages stay.
   */
  async abort(reason?: unknown): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'aborted';
    this.#stop.abort(reason ?? new Error('The PostgreSQL sink was aborted.'));
    for (const client of this.#borrowed) client.end().catch(() => {});
    await Promise.allSettled(this.#pending);
    await this.#markInterrupted(isRunDeferred(reason) ? reason.resumeAt : undefined);
    if (this.#connection.owned) await this.#connection.pool.end();
  }

  /** Best effort, on a connection of its own: a run whose process dies stays `running`, which means the same. */
  async #markInterrupted(resumeAt: number | undefined): Promise<void> {
    const opened = await this.#opened?.catch(() => undefined);
    if (opened === undefined) return;
    try {
      const client = await connectWithin(
        this.#connection,
        Math.min(this.#config.connectTimeoutMs, 2000),
        this.location,
      );
      client.on('error', ignoreError);
      try {
        await interruptRun(client, this.#tables, opened.run.id, resumeAt);
      } finally {
        client.release(true);
      }
    } catch {
      // The run stays `running`, and the next `capital run` resumes it all the same.
    }
  }

  /**
   * Stores a batch once its pages are encoded; a page that could not be fails alone, before
   * anything of it reaches the database.
   */
  async #commitPending(batch: readonly ReadyPending<D>[]): Promise<Outcome<PageReceipt>[]> {
    const streamed = await this.#commitStreamed(batch);
    if (streamed !== undefined) return streamed;
    const settled = await Promise.allSettled(batch.map((pending) => pending.staged));
    const ready: StagedPage<D>[] = [];
    for (const each of settled) if (each.status === 'fulfilled') ready.push(each.value);
    if (ready.length < batch.length) this.#incomplete = true;
    const stored = ready.length > 0 ? await this.#commit(ready, this.#finishing(ready)) : [];
    let next = 0;
    const outcomes = settled.map((each, index): Outcome<PageReceipt> => {
      if (each.status === 'fulfilled') return stored[next++] as Outcome<PageReceipt>;
      const { page } = batch[index] as ReadyPending<D>;
      return { ok: false, error: this.#writeError(page, each.reason) };
    });
    // Known before the next batch starts (batches run one at a time): a run with a page that
    // failed is not finished by a later page's transaction.
    if (outcomes.some((outcome) => !outcome.ok)) this.#incomplete = true;
    return outcomes;
  }

  /**
   * How the batch finishes the run, when it holds the crawl's last page of the run this sink
   * opened with `finish`, and no page before it failed (batches commit one at a time, so every
   * earlier page of the run is committed already). `undefined`: it finishes nothing.
   */
  #finishing(ready: readonly StagedPage<D>[]): Finishing | undefined {
    if (this.#finishOnLast === undefined || this.#incomplete) return undefined;
    const last = ready.find(({ page }) => page.last === true && page.runId === undefined);
    if (last === undefined) return undefined;
    const watermark = this.#finishOnLast.watermark ?? noWatermark;
    const runId = last.values.runId;
    return { runId, finish: (client) => finishRunIn(client, this.#tables, runId, watermark) };
  }

  /**
   * Stores an `append` or `replace` batch of the sink's own run while its pages are still being
   * encoded (see `PipelinedCopy`): the server copies the first pages while the last are encoded,
   * instead of waiting for all of them — which, for the first batch of a run, is most of its
   * time. Their checkpoints are in the transaction's statement from the start, so a page that
   * fails to encode ends the COPY (CopyFail): nothing of the batch is stored.
   *
   * One attempt: on any failure (a page that could not be encoded, the server's error, a lost
   * connection), resolves with `undefined`, nothing of the batch committed (a COMMIT that failed
   * rolled it back; a lost connection leaves it as uncertain as {@link #commitTarget}'s retry
   * does), and the batch is stored as any other: its pages once encoded, each failure handled
   * as there. `undefined` too for a batch this does not take (merge, a run opened elsewhere, the
   * sink's run not yet open, the crawl's last page of a run to finish in its transaction, next
   * tasks that cannot be serialised).
   */
  async #commitStreamed(batch: readonly ReadyPending<D>[]): Promise<Outcome<PageReceipt>[] | undefined> {
    const own = this.#ownRun;
    if (own === undefined || own.disposition === 'merge' || this.#stop.signal.aborted) return undefined;
    const pages: AppendPage[] = [];
    for (const pending of batch) {
      const { page, records, staged, encoded } = pending;
      // A run opened elsewhere may be over (see `runsTable`); the last page may finish the run.
      if (page.runId !== undefined || (page.last === true && this.#finishOnLast !== undefined)) {
        return undefined;
      }
      let checkpoint: AppendCheckpoint;
      try {
        checkpoint = this.#checkpointOf(pending, own.runId);
      } catch {
        return undefined;
      }
      // A page encoded already goes as it is: a batch of such pages leaves in one write.
      let data: CopyPiece | undefined = encoded;
      if (data === undefined) {
        data = staged.then((done) => done.data);
        // Its failure is the batch's (the COPY fails); heard here too, should the COPY end first.
        data.catch(ignoreError);
      }
      pages.push({ page, records, values: checkpoint.values, pagesRow: checkpoint.row, data });
    }
    try {
      await this.#prepare();
      await this.#withClient((client) =>
        appendBatch(client, this.#config.names, this.#targetOf(own), pages, { replayed: false }),
      );
    } catch {
      return undefined;
    }
    return batch.map(({ page, records }) => {
      this.#pages += 1;
      this.#records += records;
      return { ok: true, value: { key: page.key, records } };
    });
  }

  /**
   * Stores a batch: the pages of one target in one transaction (see {@link #commitTarget}). A
   * worker's batch may hold pages of runs stored differently (merge, append, a `replace` run's
   * build table): each such group has a transaction of its own.
   */
  async #commit(batch: readonly StagedPage<D>[], finishing?: Finishing): Promise<Outcome<PageReceipt>[]> {
    const groups = new Map<string, number[]>();
    batch.forEach((staged, index) => {
      const target = staged.disposition === 'replace' ? `replace ${staged.values.runId}` : staged.disposition;
      const group = groups.get(target);
      if (group === undefined) groups.set(target, [index]);
      else group.push(index);
    });
    if (groups.size <= 1) return this.#commitTarget(batch, finishing);
    const outcomes: Outcome<PageReceipt>[] = new Array(batch.length);
    for (const indexes of groups.values()) {
      const done = await this.#commitTarget(indexes.map((index) => batch[index] as StagedPage<D>));
      indexes.forEach((index, at) => {
        outcomes[index] = done[at] as Outcome<PageReceipt>;
      });
    }
    return outcomes;
  }

  /**
   * Stores pages of one target in one transaction, retried whole after a transient failure. When
   * the server refuses one page's data (SQLSTATE class 22 or 23), each page is stored again alone.
   */
  async #commitTarget(
    batch: readonly StagedPage<D>[],
    finishing?: Finishing,
  ): Promise<Outcome<PageReceipt>[]> {
    if (this.#stop.signal.aborted) {
      return batch.map(({ page }) => ({ ok: false, error: this.#abortedError(page) }));
    }
    let staleRuns: ReadonlySet<string>;
    try {
      let attempts = 0;
      staleRuns = await this.#retry(async () => {
        attempts += 1;
        // The COMMIT of an attempt whose connection broke may have landed: then the batch and
        // the finish are stored, and (for replace) the build table is swapped in already.
        if (finishing !== undefined && attempts > 1 && (await this.#runFinished(finishing.runId)))
          return noRuns;
        return this.#store(batch, finishing);
      });
    } catch (error) {
      if (batch.length > 1 && isDataError(error) && !this.#stop.signal.aborted) {
        // Page by page, and none finishes the run: a page of the batch is about to fail, and
        // close() finishes it if none did.
        const outcomes: Outcome<PageReceipt>[] = [];
        for (const staged of batch) outcomes.push(...(await this.#commit([staged])));
        return outcomes;
      }
      return batch.map(({ page }) => ({ ok: false, error: this.#writeError(page, error) }));
    }
    if (finishing !== undefined) this.#finished = true;
    return batch.map(({ page, records, values }) => {
      if (staleRuns.has(values.runId)) {
        this.#stalePages += 1;
        return { ok: true, value: { key: page.key, records: 0, stale: true } };
      }
      this.#pages += 1;
      this.#records += records;
      return { ok: true, value: { key: page.key, records } };
    });
  }

  /**
   * How many pages came for runs that were over (finished, or superseded by a newer run of
   * their job): late deliveries of workers' jobs, stored not at all (`PageReceipt.stale`).
   */
  get stalePages(): number {
    return this.#stalePages;
  }

  async #runFinished(runId: string): Promise<boolean> {
    const found = await this.#withClient((client) =>
      client.query<{ state: string }>(`SELECT state FROM ${this.#runsTable} WHERE run_id = $1`, [runId]),
    );
    return found.rows[0]?.state === 'finished';
  }

  async #store(batch: readonly StagedPage<D>[], finishing?: Finishing): Promise<ReadonlySet<string>> {
    await this.#prepare();
    return this.#withClient(async (client) => {
      const merge = batch[0]?.disposition === 'merge';
      if (merge && !this.#staged.has(client)) {
        // Outside the transaction: a rollback would drop the table but not this note of it.
        await client.query(sqlFile('create-staging-table'));
        this.#staged.add(client);
      }
      // Pages of a run opened elsewhere come from workers, whose jobs may run twice, and late.
      const replayed = batch.some(({ page }) => page.runId !== undefined);
      if (merge && !replayed) {
        await storeBatch(client, this.#statement, batch, finishing?.finish);
        return noRuns;
      }
      if (merge) return this.#mergeReplayed(client, batch, finishing);
      const { staleRuns } = await appendBatch(client, this.#config.names, this.#target(batch), batch, {
        replayed,
        runsTable: this.#runsTable,
        beforeCommit: finishing?.finish,
      });
      return staleRuns;
    });
  }

  /**
   * A merge batch holding workers' pages: its pages of runs that are over (see `staleRunsOf`)
   * are dropped inside the transaction, before the upsert, so that a late job never writes
   * older records over those a later run stored.
   */
  async #mergeReplayed(
    client: PoolClient,
    batch: readonly StagedPage<D>[],
    finishing: Finishing | undefined,
  ): Promise<ReadonlySet<string>> {
    await client.query('BEGIN');
    const staleRuns = await staleRunsOf(
      client,
      this.#runsTable,
      batch.map((staged) => staged.values.runId),
    );
    const live = batch.filter((staged) => !staleRuns.has(staged.values.runId));
    if (live.length === 0) {
      await finishing?.finish(client);
      await client.query('COMMIT');
    } else {
      await storeBatch(client, this.#statementInTransaction, live, finishing?.finish);
    }
    return staleRuns;
  }

  #writeError(page: SinkPage<D>, error: unknown): SinkWriteError {
    if (error instanceof SinkWriteError && error.taskKey === page.key) return error;
    if (this.#stop.signal.aborted) return this.#abortedError(page, error);
    const cause = isCapitalError(error) ? error : toPostgresSinkError(error, 'query', this.location);
    return new SinkWriteError(page, cause.message, { code: cause.code, cause });
  }

  #abortedError(page: SinkPage<D>, cause: unknown = this.#stop.signal.reason): SinkWriteError {
    return new SinkWriteError(page, 'the sink was aborted before the page was committed.', {
      code: 'SINK_ABORTED',
      cause,
    });
  }

  async #completed(keys: readonly string[]): Promise<ReadonlyMap<string, readonly Task[]>> {
    if (this.#state !== 'open') {
      const problem = `the checkpoint was asked after the sink was ${this.#state}.`;
      throw new PostgresSinkError('SINK_CLOSED', problem, { location: this.location });
    }
    if (keys.length === 0) return new Map();
    const { run } = await this.#open();
    const found = await this.#retry(async () => {
      await this.#prepare();
      return this.#withClient((client) =>
        client.query<{ task_key: string; next_tasks: Task[] }>(
          sqlFile('completed-pages', { pages: this.#pagesTable }),
          [keys, run.id],
        ),
      );
    });
    return new Map(found.rows.map((row) => [row.task_key, row.next_tasks]));
  }

  /** Creates the tables once; a failure is not remembered, so the next call tries again. */
  #prepare(): Promise<void> {
    this.#prepared ??= this.#withClient((client) =>
      prepareTables(client, {
        ...this.#config,
        keyed: this.#config.disposition !== 'append',
        location: this.location,
      }),
    ).catch((error: unknown) => {
      this.#prepared = undefined;
      throw error;
    });
    return this.#prepared;
  }

  /**
   * Borrows a connection for `use`, and gives it back: destroyed after any failure, since a
   * connection that failed mid-transaction or mid-COPY is in no state to be reused.
   */
  async #withClient<R>(use: (client: PoolClient) => Promise<R>): Promise<R> {
    const client = await connectWithin(this.#connection, this.#config.connectTimeoutMs, this.location);
    // A client whose connection breaks outside a statement (while checked out, or after it was
    // given back destroyed) emits 'error'; the statement in progress fails anyway, and an unheard
    // 'error' would crash the process. Once per client: pools hand the same clients out again.
    if (!this.#listening.has(client)) {
      client.on('error', ignoreError);
      this.#listening.add(client);
    }
    this.#borrowed.add(client);
    let failed = this.#state === 'aborted';
    try {
      if (failed) {
        throw new PostgresSinkError('SINK_CLOSED', 'the sink was aborted.', { location: this.location });
      }
      return await use(client);
    } catch (error) {
      failed = true;
      throw isCapitalError(error)
        ? error
        : toPostgresSinkError(error, 'query', this.location, this.#connection.secrets);
    } finally {
      this.#borrowed.delete(client);
      client.release(failed);
    }
  }

  #retry<R>(operation: () => Promise<R>): Promise<R> {
    return retryWithinBudget(operation, {
      budgetMs: this.#config.retryBudgetMs,
      maxRetries: this.#config.maxRetries,
      policy: this.#config.retry,
      signal: this.#stop.signal,
      giveUp: (last, attempts, elapsedMs) => retriesSpentError(last, attempts, elapsedMs, this.location),
    });
  }

  #track<R>(promise: Promise<R>): Promise<R> {
    this.#pending.add(promise);
    const forget = () => this.#pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Where `append` and `replace` copy a batch: the records table, or the run's build table. */
  #target(batch: readonly StagedPage<D>[]): string {
    const [first] = batch;
    return this.#targetOf({ runId: first?.values.runId ?? '', disposition: first?.disposition ?? 'append' });
  }

  #targetOf({ runId, disposition }: RunTarget): string {
    const { names } = this.#config;
    if (disposition === 'append') return `${names.schema}.${names.table}`;
    return `${names.schema}.${buildTableOf(this.#config.table, runId)}`;
  }

  get #pagesTable(): string {
    return `${this.#config.names.schema}.${this.#config.names.pagesTable}`;
  }

  get #runsTable(): string {
    return `${this.#config.names.schema}.${this.#config.names.runsTable}`;
  }
}

function ignoreError(): void {}

/** The run a page is stored under, and how. */
type RunTarget = { readonly runId: string; readonly disposition: WriteDisposition };

/** A page in a batch, being encoded for it (see `#stage`). */
type PendingPage<D> = {
  readonly page: SinkPage<D>;
  readonly records: number;
  /** Set once `#stage` is called, before the page joins a batch (see {@link ReadyPending}). */
  staged: Promise<StagedPage<D>> | undefined;
  /** `append` and `replace`: its COPY lines, once encoded. */
  encoded: Buffer | undefined;
  /** `append` and `replace`: its provenance and checkpoint row, once made (see `#checkpointOf`). */
  checkpoint?: AppendCheckpoint | undefined;
};

/** What an `append` or `replace` page stores besides its records. */
type AppendCheckpoint = { readonly values: PageValues; readonly row: string };

/** A page in a batch: being encoded, or encoded. */
type ReadyPending<D> = PendingPage<D> & { staged: Promise<StagedPage<D>> };

function noWatermark(): undefined {
  return undefined;
}

/** How a batch finishes run `runId` inside its transaction, before its COMMIT. */
type Finishing = {
  readonly runId: string;
  readonly finish: (client: PoolClient) => Promise<boolean>;
};

const noRuns: ReadonlySet<string> = new Set();

/**
 * A failure one page's data can cause, which need not fail the other pages of its batch: a
 * record the server refuses, SQLSTATE class 22 (data exception) or 23 (integrity constraint,
 * e.g. a CHECK of your table), or 54000 (a record key too long for its index).
 */
function isDataError(error: unknown): boolean {
  if (error instanceof SinkWriteError) return true;
  const sqlState = error instanceof PostgresSinkError ? error.sqlState : undefined;
  return (
    sqlState !== undefined && (sqlState.startsWith('22') || sqlState.startsWith('23') || sqlState === '54000')
  );
}
