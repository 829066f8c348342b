import type { Checkpoint, Task } from '@capital/core';
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
import { type KafkaMessage, pageMessages } from './page-messages.js';

type State = 'open' | 'closing' | 'closed' | 'aborted' | 'fenced';
type PageTransaction = Awaited<ReturnType<KafkaClients['producer']['beginTransaction']>>;

/**
 * Stores pages in a Kafka topic: one message per record, keyed by the record key, whose value is
 * the record's JSON and whose headers say where it came from (`_task_key`, `_page`,
 * `_fetched_at`, `_connector`).
 *
 * **Exactly once.** Each page is one transaction: its messages and a checkpoint message (key:
 * the task key; value: the page's next tasks) in the compacted topic `<topic>.capital-checkpoints`.
 * `write` resolves once the transaction is committed, so every acknowledged page is durable
 * (`acks: all`, idempotent producer) together with its checkpoint, and nothing of a page that
 * failed or was cut off by a crash is ever visible to `read_committed` consumers. A new run
 * reads the checkpoint topic first and `checkpoint.completed` answers from it, so a replay skips
 * every stored page: consumers with `isolation.level=read_committed` see each record once.
 * (`read_uncommitted` consumers also see aborted messages; that is Kafka's rule, not the sink's.)
 *
 * **Abort.** `abort()` aborts the transaction in flight and closes; pages committed before stay
 * (Kafka cannot take them back), and a re-run resumes after them. A run that dies without
 * `abort()` leaves its transaction open until the next run with the same `transactionalId`
 * aborts it on start (or it times out after 10 s).
 *
 * **Checkpoint.** It is read into memory when the sink opens (one entry per stored page) and,
 * being compacted, kept for good: if the data topic's retention deletes old records, a re-run
 * still skips their pages. Delete the checkpoint topic (or pick a new topic) to fetch them again.
 *
 * **Costs.** A transaction costs three round trips per page (add partitions, produce, end) and
 * the broker's commit markers; `exactlyOnce: false` sends a page and its checkpoint in one
 * produce request instead, at least once: a page whose write failed after part of it was stored
 * is stored again by the next run (a compacted data topic still ends with one message per key).
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
  readonly #options: ResolvedKafkaSinkOptions<D>;
  readonly #stored = new Map<string, readonly Task[]>();
  #clients: KafkaClients | undefined;
  #ready: Promise<KafkaClients> | undefined;
  #closed: Promise<SinkSummary> | undefined;
  // Writes run one after another: a producer holds one transaction at a time.
  #tail: Promise<unknown> = Promise.resolve();
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
   * Stores a page; resolves once its transaction (all its messages and its checkpoint) is
   * committed: durable and decided. read_committed consumers see it once the broker has written
   * the commit markers, a moment later.
   *
   * @throws {SinkWriteError} `RECORD_NOT_SERIALISABLE` / `RECORD_KEY_INVALID` (nothing sent),
   * `KAFKA_WRITE_FAILED` (the page's transaction aborted), `KAFKA_PRODUCER_FENCED` (a newer sink
   * with the same transactional id took over), `SINK_CLOSED`.
   * @throws {KafkaUnavailableError} when the sink could not open.
   */
  async write(page: SinkPage<D>): Promise<PageReceipt> {
    if (this.#state !== 'open') {
      throw new SinkWriteError(page, `the Kafka sink for ${this.topic} is ${this.#state}.`, {
        code: this.#state === 'fenced' ? 'KAFKA_PRODUCER_FENCED' : 'SINK_CLOSED',
      });
    }
    const batches = pageMessages(page, this.#options);
    const run = this.#tail.then(() => this.#store(page, batches));
    this.#tail = run.catch(() => {});
    return run;
  }

  /** Waits for the writes in flight, closes the clients and reports what this sink stored. */
  close(): Promise<SinkSummary> {
    if (this.#state === 'aborted' || this.#state === 'fenced') {
      return Promise.reject(this.#stateError());
    }
    this.#closed ??= (async () => {
      this.#state = 'closing';
      await this.#tail;
      await this.#clients?.close(false);
      this.#state = 'closed';
      return { pages: this.#pages, records: this.#records, location: this.location };
    })();
    return this.#closed;
  }

  /**
   * Aborts the page being written (its transaction), then closes. Waits for it at most
   * `connectTimeoutMs`, then cuts the connections.
   */
  async abort(_reason?: unknown): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'aborted') return;
    this.#state = 'aborted';
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((done) => {
      timer = setTimeout(done, this.#options.connectTimeoutMs);
    });
    await Promise.race([this.#tail, grace]);
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

  async #store(page: SinkPage<D>, batches: KafkaMessage[][]): Promise<PageReceipt> {
    const { producer } = await this.#open();
    let transaction: PageTransaction | undefined;
    let sent = false;
    try {
      if (this.#options.exactlyOnce) transaction = await producer.beginTransaction();
      for (const messages of batches) {
        this.#checkWritable(page);
        sent = true;
        await (transaction ?? producer).send({ messages });
      }
      this.#checkWritable(page);
      await transaction?.commit();
    } catch (error) {
      if (transaction && !transaction.completed) await abandon(transaction, sent);
      throw this.#writeError(page, error);
    }
    this.#stored.set(page.key, page.nextTasks);
    this.#pages += 1;
    this.#records += page.data.length;
    return { key: page.key, records: page.data.length };
  }

  /** Between two steps of a write: `abort()` may have come meanwhile, and then nothing more is sent. */
  #checkWritable(page: SinkPage<D>): void {
    if (this.#state === 'aborted' || this.#state === 'fenced') {
      throw new SinkWriteError(page, `the sink was ${this.#state} before the page was committed.`, {
        code: this.#state === 'aborted' ? 'SINK_ABORTED' : 'KAFKA_PRODUCER_FENCED',
      });
    }
  }

  #stateError(): KafkaSinkError {
    return new KafkaSinkError(this.topic, `The Kafka sink for ${this.topic} is ${this.#state}.`, {
      code: 'SINK_CLOSED',
    });
  }

  #writeError(page: SinkPage<D>, error: unknown): Error {
    if (error instanceof SinkWriteError) return error;
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
