import { type Checkpoint, isRunDeferred, type RunInfo, type WriteDisposition } from '@capital/core';
import { GroupCommit, type Outcome } from '../group-commit.js';
import {
  type FinishRun,
  type FinishRunById,
  type OpenedRun,
  type OpenRunOptions,
  type RunLedger,
  RunNotFoundError,
} from '../runs.js';
import type { PageReceipt, Sink, SinkPage, SinkSummary } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { createKafkaClients, type KafkaClients } from './kafka-clients.js';
import { describeKafkaError, hasKafkaError, KafkaSinkError } from './kafka-errors.js';
import { type CheckpointEntry, KafkaRunBook } from './kafka-runs.js';
import {
  type KafkaSinkOptions,
  type ResolvedKafkaSinkOptions,
  resolveKafkaSinkOptions,
} from './kafka-sink-options.js';
import { openKafka } from './open-kafka.js';
import { type KafkaMessage, type PageMessages, pageMessages, produceRequests } from './page-messages.js';
import { readCheckpoints } from './read-checkpoints.js';

type State = 'open' | 'closing' | 'closed' | 'aborted' | 'fenced';
type PageTransaction = Awaited<ReturnType<KafkaClients['producer']['beginTransaction']>>;
/** A page with its messages, serialised before it joins a batch. */
type PendingPage<D> = {
  readonly page: SinkPage<D>;
  readonly runId: string;
  readonly messages: PageMessages;
};
// What a record costs in a record batch beyond its key and value (see page-messages.ts).
const recordOverhead = 32;
/** How long `abort()` tries to mark its run interrupted: best effort, since a run left `running` resumes all the same. */
const interruptTimeoutMs = 2000;

/**
 * Stores pages in a Kafka topic: one message per record, keyed by the record key, whose value is
 * the record's JSON and whose headers say where it came from (`_task_key`, `_page`,
 * `_fetched_at`, `_connector`).
 *
 * **Exactly once.** Each page goes in a transaction with its messages and a checkpoint message
 * (key: `page:<run id>:<task key>`; value: the page's next tasks) in the compacted topic
 * `<topic>.capital-checkpoints`. `write` resolves once the transaction is committed, so every
 * acknowledged page is durable (`acks: all`, idempotent producer) together with its checkpoint,
 * and nothing of a page that failed or was cut off by a crash is ever visible to
 * `read_committed` consumers. The sink reads the checkpoint topic first and
 * `checkpoint.completed` answers from the pages of the run it writes, so a resumed run skips
 * every page it stored: consumers with `isolation.level=read_committed` see each record once.
 * (`read_uncommitted` consumers also see aborted messages; that is Kafka's rule, not the sink's.)
 *
 * **Runs.** The checkpoint topic also keeps the job's runs (key `run:<run id>`, value the run's
 * JSON: job, state, disposition, start, since, watermark), each change in a transaction of its
 * own: opening a run marks it `running` (a new run marks the job's other running ones
 * `interrupted`, and tombstones its runs beyond the newest 50, with their pages); finishing
 * marks it `finished` with its page count and watermark and tombstones the page checkpoints
 * of the job's earlier finished runs — in the transaction of the crawl's last page
 * (`SinkPage.last`) when the run was opened with `finish`, else at `close()`, in a transaction
 * after the last page's: never before its records — and `abort()` marks it `interrupted` (a run
 * killed outright stays `running`, which means the same). A run that finished is never resumed:
 * the next opens a new run, which fetches every page again (a refresh).
 *
 * **Group commit.** It takes up to `maxPendingWrites` writes at once. A producer holds one
 * transaction at a time; the pages that arrive while it commits wait, and the next transaction
 * stores all of them (each with its checkpoint message), in produce requests they share. A
 * transaction that fails fails each of its pages; what one page alone can cause (a record that
 * cannot be serialised, or is larger than `maxBatchBytes`) fails that page before it joins a
 * batch.
 *
 * **Abort.** `abort()` aborts the transaction in flight, fails the writes waiting, and closes;
 * pages committed before stay (Kafka cannot take them back), and a re-run resumes after them. A
 * run that dies without `abort()` leaves its transaction open until the next run with the same
 * `transactionalId` aborts it on start (or it times out after 10 s).
 *
 * **Checkpoint.** It is read into memory when the sink opens (one entry per stored page of the
 * unfinished runs and the last finished one) and, being compacted, kept for good.
 *
 * **Costs.** A transaction costs three round trips (add partitions, produce, end) and the
 * broker's commit markers, per batch of pages; `exactlyOnce: false` sends the batch's pages and
 * their checkpoints in shared produce requests instead, at least once: a page whose write
 * failed after part of it was stored is stored again by the next run (a compacted data topic
 * still ends with one message per key).
 *
 * @example
 * const sink = new KafkaSink({ brokers: '127.0.0.1:9092', topic: 'wtd', recordKey: (l) => l.symbol });
 * await runConnector({ connector, params: { search: 'new york' }, sink, baseUrl, resolveCredential });
 */
export class KafkaSink<D = unknown> implements Sink<D> {
  readonly topic: string;
  readonly checkpointTopic: string;
  /** The transactional id, when `exactlyOnce`. */
  readonly transactionalId: string | undefined;
  /** `kafka://brokers/topic`. */
  readonly location: string;
  /** Which pages this topic stores already, read from the checkpoint topic when the sink opens. */
  readonly checkpoint: Checkpoint;
  /** How many writes the sink takes at once (see {@link KafkaSinkOptions.maxPendingWrites}). */
  readonly maxPendingWrites: number;
  /** `merge` or `append`: the same messages, kept as the topic's cleanup policy says. */
  readonly disposition: WriteDisposition;
  /** The job's runs, in the checkpoint topic: which one the writes belong to. */
  readonly runs: RunLedger;
  readonly #options: ResolvedKafkaSinkOptions<D>;
  readonly #book: KafkaRunBook;
  #opened: Promise<OpenedRun> | undefined;
  /** Whether a page failed: then close() does not finish the run. */
  #incomplete = false;
  /** How the run opened here is to be finished with the crawl's last page (`OpenRunOptions.finish`). */
  #finishOnLast: FinishRunById | undefined;
  /** Whether the last page's transaction finished the run: then close() does not. */
  #finished = false;
  // One batch at a time: a producer holds one transaction at a time.
  readonly #group: GroupCommit<PendingPage<D>, PageReceipt>;
  #clients: KafkaClients | undefined;
  #ready: Promise<KafkaClients> | undefined;
  #closed: Promise<SinkSummary> | undefined;
  #state: State = 'open';
  #pages = 0;
  #records = 0;

  /** @throws {InvalidOptionError} for options out of range (see {@link KafkaSinkOptions}). */
  constructor(options: KafkaSinkOptions<D>) {
    this.#options = resolveKafkaSinkOptions(options);
    this.topic = this.#options.topic;
    this.checkpointTopic = this.#options.checkpointTopic;
    this.transactionalId = this.#options.exactlyOnce ? this.#options.transactionalId : undefined;
    this.location = `kafka://${this.#options.brokers.join(',')}/${this.topic}`;
    this.maxPendingWrites = this.#options.maxPendingWrites;
    this.disposition = this.#options.disposition;
    this.#group = new GroupCommit({
      maxWrites: this.#options.maxPendingWrites,
      commit: (batch) => this.#commit(batch),
    });
    this.#book = new KafkaRunBook(this);
    this.checkpoint = {
      completed: async (keys) => {
        if (this.#state === 'aborted' || this.#state === 'closed') throw this.#stateError();
        const { run } = await this.#openRun();
        return this.#book.completed(run.id, keys);
      },
    };
    this.runs = {
      open: (options) => this.#openRun(options),
      list: () => this.#list(),
      reset: () => this.#reset(),
      finish: (runId, options) => this.#finishById(runId, options),
    };
  }

  /**
   * Finishes a run another process opened (see {@link RunLedger.finish}). The book read when
   * this sink opened may predate the run, so the checkpoint topic is read again first: the run
   * and its pages as every writer committed them. No lock spans the read and the commit, so
   * callers that race (workers) take a claim first (see `finishRunsIfCrawlDone`).
   */
  async #finishById(runId: string, options: FinishRunById = {}): Promise<boolean> {
    const clients = await this.#open();
    const book = new KafkaRunBook(this);
    await readCheckpoints(clients.consumer, this.checkpointTopic, this.topic, (entry) => book.apply(entry));
    const run = book.find(runId);
    if (run === undefined) throw new RunNotFoundError(runId, `is not a run kept in ${this.checkpointTopic}.`);
    if (run.state === 'finished') return false;
    await this.#commitEntries(book.finish(runId, options.watermark?.(run), Date.now()), 'finish run');
    return true;
  }

  /**
   * Opens the run the writes belong to (see {@link RunLedger.open}) and commits its record; the
   * first write or checkpoint question opens the `auto` one when nobody did.
   */
  #openRun(options: OpenRunOptions = {}): Promise<OpenedRun> {
    if (this.#opened === undefined) this.#finishOnLast = options.finish;
    this.#opened ??= (async () => {
      await this.#open();
      const { opened, entries } = this.#book.open(
        this.#options.job,
        this.disposition,
        options.choice ?? { kind: 'auto' },
        options.since,
        Date.now(),
      );
      await this.#commitEntries(entries, 'open a run');
      return opened;
    })().catch((error: unknown) => {
      this.#opened = undefined;
      throw error;
    });
    return this.#opened;
  }

  /**
   * The job's runs, newest first. Without a run open it reads the checkpoint topic on clients of
   * its own and registers no producer: asking must not fence off a run writing now.
   */
  async #list(): Promise<RunInfo[]> {
    if (this.#ready !== undefined) {
      await this.#open();
      return this.#book.list(this.#options.job);
    }
    const clients = await createKafkaClients(this.#options);
    try {
      const book = new KafkaRunBook(this);
      await openKafka(this.#options, clients, (entry) => book.apply(entry), { write: false });
      return book.list(this.#options.job);
    } finally {
      await clients.close(false);
    }
  }

  /**
   * Tombstones the job's runs and page checkpoints in one transaction. It registers the
   * producer, so a run writing now with the same transactional id is fenced off.
   */
  async #reset(): Promise<number> {
    await this.#open();
    const { runs, entries } = this.#book.reset(this.#options.job);
    await this.#commitEntries(entries, 'forget the runs');
    return runs;
  }

  /** Sends messages of the checkpoint topic in one transaction; the book learns them once committed. */
  async #commitEntries(entries: readonly CheckpointEntry[], what: string): Promise<void> {
    if (entries.length === 0) return;
    const { producer } = await this.#open();
    let transaction: PageTransaction | undefined;
    let sent = false;
    try {
      if (this.#options.exactlyOnce) transaction = await producer.beginTransaction();
      for (const request of produceRequests([this.#entryMessages(entries)], this.#options.maxBatchBytes)) {
        sent = true;
        await (transaction ?? producer).send({ messages: request });
      }
      await transaction?.commit();
    } catch (error) {
      if (transaction && !transaction.completed) await abandon(transaction, sent);
      throw new KafkaSinkError(
        this.topic,
        `Kafka did not commit to ${this.checkpointTopic} what it takes to ${what} of ${this.#options.job}: ${describeKafkaError(error)}`,
        { code: 'KAFKA_WRITE_FAILED', cause: error },
      );
    }
    for (const entry of entries) this.#book.apply(entry);
  }

  /** Messages of the checkpoint topic, with what each costs in a produce request. */
  #entryMessages(entries: readonly CheckpointEntry[]): PageMessages {
    const messages: KafkaMessage[] = entries.map(({ key, value }) => ({
      topic: this.checkpointTopic,
      key: Buffer.from(key),
      ...(value === null ? {} : { value }),
    }));
    const bytes = messages.map(
      (message) => (message.key?.length ?? 0) + (message.value?.length ?? 0) + recordOverhead,
    );
    return { messages, bytes };
  }

  /**
   * The messages that finish the run in this batch's transaction, when it holds the crawl's
   * last page of the run this sink opened with `finish` and no page before it failed (batches
   * commit one at a time, so every earlier page of the run is committed already). Only with
   * `exactlyOnce`: without a transaction, `close()` finishes the run after its last page.
   */
  #finishing(batch: readonly PendingPage<D>[]): CheckpointEntry[] | undefined {
    if (!this.#options.exactlyOnce || this.#finishOnLast === undefined || this.#incomplete) return undefined;
    const last = batch.find(({ page }) => page.last === true && page.runId === undefined);
    const run = last && this.#book.find(last.runId);
    if (last === undefined || run === undefined || run.state === 'finished') return undefined;
    const storing = batch.filter(({ runId }) => runId === last.runId).map(({ page }) => page.key);
    return this.#book.finish(run.id, this.#finishOnLast.watermark?.(run), Date.now(), storing);
  }

  /**
   * Stores a page with the others waiting for the next transaction; resolves once that
   * transaction (all their messages and checkpoints) is committed: durable and decided.
   * read_committed consumers see it once the broker has written the commit markers, a moment later.
   *
   * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE` / `RECORD_KEY_INVALID` /
   * `RECORD_TOO_LARGE` (nothing sent, before the page joins a batch), `KAFKA_WRITE_FAILED` (the
   * page's transaction aborted), `KAFKA_PRODUCER_FENCED` (a newer sink with the same
   * transactional id took over), `SINK_ABORTED` (`abort()` came before the page was committed),
   * `SINK_CLOSED`.
   * @throws {KafkaUnavailableError} when the sink could not open.
   */
  write(page: SinkPage<D>): Promise<PageReceipt> {
    return this.#write(page).catch((error: unknown) => {
      this.#incomplete = true;
      throw error;
    });
  }

  async #write(page: SinkPage<D>): Promise<PageReceipt> {
    this.#checkOpen(page);
    // Failing to open (no broker, a checkpoint topic that cannot be read) fails with its own error.
    // A page of a run opened elsewhere (`capital enqueue`, for workers) opens no run here.
    const runId = page.runId ?? (await this.#openRun()).run.id;
    if (this.#state === 'aborted') {
      throw new SinkWriteError(page, 'the sink was aborted before the page was committed.', {
        code: 'SINK_ABORTED',
      });
    }
    this.#checkOpen(page);
    let messages: PageMessages;
    try {
      messages = pageMessages(page, this.#options, runId);
    } catch (error) {
      // Now, not when the rejection is handled: a later page's batch must not finish the run.
      this.#incomplete = true;
      throw error;
    }
    return this.#group.submit({ page, runId, messages });
  }

  #checkOpen(page: SinkPage<D>): void {
    if (this.#state !== 'open') {
      throw new SinkWriteError(page, `the Kafka sink for ${this.topic} is ${this.#state}.`, {
        code: this.#state === 'fenced' ? 'KAFKA_PRODUCER_FENCED' : 'SINK_CLOSED',
      });
    }
  }

  /**
   * Waits for the writes in flight, finishes the run (unless a page failed or `finishRun` is
   * `false`), closes the clients and reports what this sink stored.
   *
   * @throws {KafkaSinkError} when finishing the run failed: it stays unfinished, and resumable.
   */
  close(finish: FinishRun = {}): Promise<SinkSummary> {
    if (this.#state === 'aborted' || this.#state === 'fenced') {
      return Promise.reject(this.#stateError());
    }
    this.#closed ??= (async () => {
      this.#state = 'closing';
      await this.#group.idle();
      try {
        // A run that never opened has nothing to finish (its failure was the writes' to report).
        const opened = await this.#opened?.catch(() => undefined);
        if (opened !== undefined && finish.finishRun !== false && !this.#incomplete && !this.#finished) {
          const entries = this.#book.finish(opened.run.id, finish.watermark, Date.now());
          await this.#commitEntries(entries, 'finish run');
        }
      } finally {
        await this.#clients?.close(false);
        this.#state = 'closed';
      }
      return { pages: this.#pages, records: this.#records, location: this.location };
    })();
    return this.#closed;
  }

  /**
   * Aborts the batch being written (its transaction) and fails the writes waiting, then closes.
   * Waits for them at most `connectTimeoutMs`, then cuts the connections.
   */
  async abort(reason?: unknown): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'aborted') return;
    const fenced = this.#state === 'fenced';
    this.#state = 'aborted';
    const idle = await within(this.#group.idle(), this.#options.connectTimeoutMs);
    const opened = await this.#opened?.catch(() => undefined);
    if (idle && !fenced && opened !== undefined) {
      const entries = this.#book.interrupt(
        opened.run.id,
        isRunDeferred(reason) ? reason.resumeAt : undefined,
      );
      await within(
        this.#commitEntries(entries, 'interrupt run').catch(() => {}),
        Math.min(this.#options.connectTimeoutMs, interruptTimeoutMs),
      );
    }
    await this.#clients?.close(true);
  }

  #open(): Promise<KafkaClients> {
    this.#ready ??= (async () => {
      const clients = await createKafkaClients(this.#options);
      this.#clients = clients;
      try {
        await openKafka(this.#options, clients, (entry) => this.#book.apply(entry), { write: true });
      } catch (error) {
        await clients.close(true);
        throw error;
      }
      return clients;
    })();
    return this.#ready;
  }

  /**
   * Stores a batch in one transaction (or, without `exactlyOnce`, in plain produce requests)
   * and records its pages as stored once it is committed.
   */
  async #commit(batch: readonly PendingPage<D>[]): Promise<Outcome<PageReceipt>[]> {
    let producer: KafkaClients['producer'];
    try {
      ({ producer } = await this.#open());
    } catch (error) {
      return batch.map(() => ({ ok: false, error }));
    }
    let transaction: PageTransaction | undefined;
    let sent = false;
    const finishing = this.#finishing(batch);
    try {
      this.#checkWritable();
      if (this.#options.exactlyOnce) transaction = await producer.beginTransaction();
      const pages = batch.map(({ messages }) => messages);
      // The run's record goes last, after its last page's messages and checkpoint.
      if (finishing !== undefined) pages.push(this.#entryMessages(finishing));
      const requests = produceRequests(pages, this.#options.maxBatchBytes);
      for (const messages of requests) {
        this.#checkWritable();
        sent = true;
        await (transaction ?? producer).send({ messages });
      }
      this.#checkWritable();
      await transaction?.commit();
    } catch (error) {
      // Now, before the next batch starts: it must not finish the run.
      this.#incomplete = true;
      if (transaction && !transaction.completed) await abandon(transaction, sent);
      return batch.map(({ page }) => ({ ok: false, error: this.#writeError(page, error) }));
    }
    for (const entry of finishing ?? []) this.#book.apply(entry);
    if (finishing !== undefined) this.#finished = true;
    return batch.map(({ page, runId }) => {
      this.#book.recordPage(runId, page.key, page.nextTasks);
      this.#pages += 1;
      this.#records += page.data.length;
      return { ok: true, value: { key: page.key, records: page.data.length } };
    });
  }

  /** Between two steps of a batch: `abort()` may have come meanwhile, and then nothing more is sent. */
  #checkWritable(): void {
    if (this.#state === 'aborted' || this.#state === 'fenced') throw this.#stateError();
  }

  #stateError(): KafkaSinkError {
    return new KafkaSinkError(this.topic, `The Kafka sink for ${this.topic} is ${this.#state}.`, {
      code: 'SINK_CLOSED',
    });
  }

  #writeError(page: SinkPage<D>, error: unknown): Error {
    if (
      hasKafkaError(error, 'apiId', 'PRODUCER_FENCED') ||
      hasKafkaError(error, 'apiId', 'INVALID_PRODUCER_EPOCH')
    ) {
      // Starting over would fence the newer sink in turn: this one stops for good.
      this.#state = 'fenced';
      return new SinkWriteError(
        page,
        `another sink with transactional id ${this.transactionalId} took over topic ${this.topic}; ` +
          'give sinks that write at the same time different transactional ids.',
        { code: 'KAFKA_PRODUCER_FENCED', cause: error },
      );
    }
    if (this.#state === 'aborted' || this.#state === 'fenced') {
      return new SinkWriteError(page, `the sink was ${this.#state} before the page was committed.`, {
        code: this.#state === 'aborted' ? 'SINK_ABORTED' : 'KAFKA_PRODUCER_FENCED',
        cause: error,
      });
    }
    return new SinkWriteError(
      page,
      `Kafka did not commit it to ${this.topic}: ${describeKafkaError(error)}`,
      {
        code: 'KAFKA_WRITE_FAILED',
        cause: error,
      },
    );
  }
}

/** Whether `promise` settled within `ms` (it goes on either way). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((done) => {
    timer = setTimeout(() => done(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Aborts a transaction on the broker, or at least forgets it locally so the next can begin. One
 * that sent nothing exists only here (the broker learns of a transaction with its first
 * partition), so it is just dropped.
 */
async function abandon(transaction: PageTransaction, sent: boolean): Promise<void> {
  try {
    if (sent) await transaction.abort();
    else await transaction.cancel();
  } catch {
    await transaction.cancel().catch(() => {});
  }
}
