import type { Checkpoint, Task, WriteDisposition } from '@capital/core';
import { GroupCommit, type Outcome } from '../group-commit.js';
import type { PageReceipt, Sink, SinkPage, SinkSummary } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { createKafkaClients, type KafkaClients } from './kafka-clients.js';
import { describeKafkaError, hasKafkaError, KafkaSinkError } from './kafka-errors.js';
import {
  type KafkaSinkOptions,
  type ResolvedKafkaSinkOptions,
  resolveKafkaSinkOptions,
} from './kafka-sink-options.js';
import { openKafka } from './open-kafka.js';
import { type PageMessages, pageMessages, produceRequests } from './page-messages.js';

type State = 'open' | 'closing' | 'closed' | 'aborted' | 'fenced';
type PageTransaction = Awaited<ReturnType<KafkaClients['producer']['beginTransaction']>>;
/** A page with its messages, serialised before it joins a batch. */
type PendingPage<D> = { readonly page: SinkPage<D>; readonly messages: PageMessages };

/**
 * Stores pages in a Kafka topic: one message per record, keyed by the record key, whose value is
 * the record's JSON and whose headers say where it came from (`_task_key`, `_page`,
 * `_fetched_at`, `_connector`).
 *
 * **Exactly once.** Each page goes in a transaction with its messages and a checkpoint message
 * (key: the task key; value: the page's next tasks) in the compacted topic
 * `<topic>.capital-checkpoints`. `write` resolves once the transaction is committed, so every
 * acknowledged page is durable (`acks: all`, idempotent producer) together with its checkpoint,
 * and nothing of a page that failed or was cut off by a crash is ever visible to
 * `read_committed` consumers. A new run reads the checkpoint topic first and
 * `checkpoint.completed` answers from it, so a replay skips every stored page: consumers with
 * `isolation.level=read_committed` see each record once. (`read_uncommitted` consumers also see
 * aborted messages; that is Kafka's rule, not the sink's.)
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
 * **Checkpoint.** It is read into memory when the sink opens (one entry per stored page) and,
 * being compacted, kept for good: if the data topic's retention deletes old records, a re-run
 * still skips their pages. Delete the checkpoint topic (or pick a new topic) to fetch them again.
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
  readonly #options: ResolvedKafkaSinkOptions<D>;
  readonly #stored = new Map<string, readonly Task[]>();
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
    this.checkpoint = {
      completed: async (keys) => {
        if (this.#state === 'aborted' || this.#state === 'closed') throw this.#stateError();
        await this.#open();
        const found = new Map<string, readonly Task[]>();
        for (const key of keys) {
          const nextTasks = this.#stored.get(key);
          if (nextTasks) found.set(key, nextTasks);
        }
        return found;
      },
    };
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
  async write(page: SinkPage<D>): Promise<PageReceipt> {
    if (this.#state !== 'open') {
      throw new SinkWriteError(page, `the Kafka sink for ${this.topic} is ${this.#state}.`, {
        code: this.#state === 'fenced' ? 'KAFKA_PRODUCER_FENCED' : 'SINK_CLOSED',
      });
    }
    return this.#group.submit({ page, messages: pageMessages(page, this.#options) });
  }

  /** Waits for the writes in flight, closes the clients and reports what this sink stored. */
  close(): Promise<SinkSummary> {
    if (this.#state === 'aborted' || this.#state === 'fenced') {
      return Promise.reject(this.#stateError());
    }
    this.#closed ??= (async () => {
      this.#state = 'closing';
      await this.#group.idle();
      await this.#clients?.close(false);
      this.#state = 'closed';
      return { pages: this.#pages, records: this.#records, location: this.location };
    })();
    return this.#closed;
  }

  /**
   * Aborts the batch being written (its transaction) and fails the writes waiting, then closes.
   * Waits for them at most `connectTimeoutMs`, then cuts the connections.
   */
  async abort(_reason?: unknown): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'aborted') return;
    this.#state = 'aborted';
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((done) => {
      timer = setTimeout(done, this.#options.connectTimeoutMs);
    });
    await Promise.race([this.#group.idle(), grace]);
    clearTimeout(timer);
    await this.#clients?.close(true);
  }

  #open(): Promise<KafkaClients> {
    this.#ready ??= (async () => {
      const clients = createKafkaClients(this.#options);
      this.#clients = clients;
      try {
        for (const [key, nextTasks] of await openKafka(this.#options, clients)) {
          this.#stored.set(key, nextTasks);
        }
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
    try {
      this.#checkWritable();
      if (this.#options.exactlyOnce) transaction = await producer.beginTransaction();
      const requests = produceRequests(
        batch.map(({ messages }) => messages),
        this.#options.maxBatchBytes,
      );
      for (const messages of requests) {
        this.#checkWritable();
        sent = true;
        await (transaction ?? producer).send({ messages });
      }
      this.#checkWritable();
      await transaction?.commit();
    } catch (error) {
      if (transaction && !transaction.completed) await abandon(transaction, sent);
      return batch.map(({ page }) => ({ ok: false, error: this.#writeError(page, error) }));
    }
    return batch.map(({ page }) => {
      this.#stored.set(page.key, page.nextTasks);
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
