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
import { appendBatch, appendData, pagesRow } from './append-batch.js';
import { copyRows, type PageValues, pageLine } from './copy-rows.js';
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
import { batchStatement, type StagedPage, stagingData, storeBatch } from './store-batch.js';

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
 * **Late pages.** A page of a run opened elsewhere written with `append` or `replace` whose run is
 * over (finished, or superseded by a newer run of its job) is stored not at all: its write resolves
 * with `stale: true` (counted in `stalePages`), so a worker's late job neither adds rows again
 * nor fails for good.
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
  readonly #config: PostgresSinkConfig<D>;
  readonly #connection: PostgresConnection;
  /** A batch's transaction up to its COMMIT, as one query. */
  readonly #statement: string;
  readonly #group: GroupCommit<PendingPage<D>, PageReceipt>;
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
      return this.#withClient((client) => openRun(client, this.#tables, options));
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
    return this.#write(page).catch((error: unknown) => {
      this.#incomplete = true;
      throw error;
    });
  }

  async #write(page: SinkPage<D>): Promise<PageReceipt> {
    if (this.#state !== 'open') {
      throw new SinkWriteError(page, `the PostgreSQL sink is ${this.#state}.`, { code: 'SINK_CLOSED' });
    }
    // The page joins a batch now (writes made together share one), and is encoded on a turn of
    // its own: a burst of writes (a crawl's window refilled at once) then sends its first batch
    // once that batch's pages are encoded, and encodes the rest while the server stores it.
    const staged = this.#stage(page);
    staged.catch(ignoreError);
    return this.#track(this.#group.submit({ page, records: page.data.length, staged }));
  }

  /**
   * Encodes a page for its batch's COPY (see {@link StagedPage}), on a turn of the event loop
   * of its own, once its run is open.
   *
   * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE`, `RECORD_KEY_INVALID`,
   * `PAGE_NOT_SERIALISABLE`, or the run's failure to open.
   */
  async #stage(page: SinkPage<D>): Promise<StagedPage<D>> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const rows = copyRows(page, this.#config.recordKey);
    const label = labelTask(page.task, page.key);
    // A page of a run opened elsewhere (`capital enqueue`, for workers) opens no run here, and
    // is stored as that run says: the disposition is the run's, not this sink's.
    let runId = page.runId;
    let disposition = this.disposition;
    try {
      if (runId === undefined) runId = (await this.#track(this.#open())).run.id;
      else disposition = await this.#track(this.#dispositionOf(runId));
    } catch (error) {
      throw this.#writeError(page, error);
    }
    const values: PageValues = {
      runId,
      connector: this.#config.connector ?? label.type?.split('.')[0] ?? null,
      taskKey: page.key,
      page: label.page ?? null,
      fetchedAt: Number.isFinite(page.fetchedAt) ? new Date(page.fetchedAt).toISOString() : null,
    };
    const line = pageLine(page, values, rows.rows);
    // Encoded now, while the batch before it is in the server: the batch only joins bytes.
    return disposition === 'merge'
      ? {
          page,
          records: rows.rows,
          values,
          data: stagingData(this.#sequence++, line, rows),
          pagesRow: '',
          disposition,
        }
      : {
          page,
          records: rows.rows,
          values,
          data: appendData(this.#config.names, rows, values),
          pagesRow: pagesRow(page, values, rows.rows),
          disposition,
        };
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
  async #commitPending(batch: readonly PendingPage<D>[]): Promise<Outcome<PageReceipt>[]> {
    const settled = await Promise.allSettled(batch.map((pending) => pending.staged));
    const ready: StagedPage<D>[] = [];
    for (const each of settled) if (each.status === 'fulfilled') ready.push(each.value);
    if (ready.length < batch.length) this.#incomplete = true;
    const stored = ready.length > 0 ? await this.#commit(ready, this.#finishing(ready)) : [];
    let next = 0;
    const outcomes = settled.map((each, index): Outcome<PageReceipt> => {
      if (each.status === 'fulfilled') return stored[next++] as Outcome<PageReceipt>;
      const { page } = batch[index] as PendingPage<D>;
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
      client.query<{ state: string }>(
        `SELECT state FROM ${this.#config.names.schema}.${this.#config.names.runsTable} WHERE run_id = $1`,
        [runId],
      ),
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
      if (merge) {
        await storeBatch(client, this.#statement, batch, finishing?.finish);
        return noRuns;
      }
      // Pages of a run opened elsewhere come from workers, whose jobs may run twice, and late.
      const replayed = batch.some(({ page }) => page.runId !== undefined);
      const { staleRuns } = await appendBatch(client, this.#config.names, this.#target(batch), batch, {
        replayed,
        runsTable: `${this.#config.names.schema}.${this.#config.names.runsTable}`,
        beforeCommit: finishing?.finish,
      });
      return staleRuns;
    });
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
    const { names } = this.#config;
    const [first] = batch;
    if (first?.disposition === 'append') return `${names.schema}.${names.table}`;
    const runId = first?.values.runId ?? '';
    return `${names.schema}.${buildTableOf(this.#config.table, runId)}`;
  }

  get #pagesTable(): string {
    return `${this.#config.names.schema}.${this.#config.names.pagesTable}`;
  }
}

function ignoreError(): void {}

/** A page in a batch, being encoded for it (see `#stage`). */
type PendingPage<D> = {
  readonly page: SinkPage<D>;
  readonly records: number;
  readonly staged: Promise<StagedPage<D>>;
};

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
