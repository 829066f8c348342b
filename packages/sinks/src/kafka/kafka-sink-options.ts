import { InvalidOptionError, type WriteDisposition } from '@capital/core';
import type { CompressionAlgorithmValue } from '@platformatic/kafka';
import type { RecordKey } from '../sink.js';

/** How the sink creates a topic that does not exist yet. */
export type KafkaTopicSettings = {
  /**
   * Partitions of the data topic. The checkpoint topic always has one.
   * @default the broker's `num.partitions`
   */
  readonly partitions?: number;
  /**
   * Replicas of both topics.
   * @default the broker's `default.replication.factor`
   */
  readonly replicas?: number;
  /**
   * Topic configs of the data topic, e.g. `{ 'cleanup.policy': 'compact' }` to keep one message
   * per record key. The checkpoint topic is always compacted.
   * @default {}
   */
  readonly configs?: Readonly<Record<string, string>>;
};

/** Options of {@link KafkaSink}. */
export type KafkaSinkOptions<D> = {
  /**
   * Bootstrap brokers as `host:port`, an array or one comma-separated string.
   * @default process.env.KAFKA_BROKERS
   */
  readonly brokers?: string | readonly string[];
  /** The data topic: one message per record. */
  readonly topic: string;
  /**
   * Gives each message its key (the record key), so one record always lands on the same
   * partition and a compacted topic keeps its latest version. Without it messages have no key.
   * @default no key
   */
  readonly recordKey?: RecordKey<D>;
  /**
   * What the topic keeps of earlier runs. A topic keeps every message; what a consumer sees is
   * decided by the topic's cleanup policy, not by the sink: `merge` is what a compacted topic
   * (`cleanup.policy=compact`, the default for topics the sink creates) gives — one message per
   * record key once compacted — and `append` what a topic with `cleanup.policy=delete` gives:
   * every message. Both produce the same messages. `replace` is refused: a topic cannot be
   * swapped atomically, and the most a compacted topic allows — a tombstone for every key the
   * run did not see — would reach consumers one delete at a time, not at once; write a new
   * topic and switch consumers over instead.
   * @default 'merge'
   */
  readonly disposition?: WriteDisposition | undefined;
  /**
   * The job whose runs the checkpoint topic keeps (see `jobName`).
   * @default 'default'
   */
  readonly job?: string | undefined;
  /**
   * Names the connector in every message's `_connector` header.
   * @default the task's `type`, e.g. `'wtd.stock_search'`
   */
  readonly connector?: string;
  /**
   * The Kafka client id, as broker logs and quotas see it.
   * @default 'capital'
   */
  readonly clientId?: string;
  /**
   * Creates the data and checkpoint topics when missing; `false` requires both to exist.
   * @default {} (the broker's defaults)
   */
  readonly createTopic?: KafkaTopicSettings | false;
  /**
   * How long getting ready may take: connecting, creating the topics and registering the
   * producer. An unreachable broker fails with `KafkaUnavailableError` after this long.
   * @default 10_000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Writes each page and its checkpoint in one Kafka transaction, so `read_committed` consumers
   * see every record exactly once across replays and crashes. `false` uses the idempotent
   * producer alone: faster, but a write that fails midway can leave a page that is stored again
   * by the next run (at least once).
   * @default true
   */
  readonly exactlyOnce?: boolean;
  /**
   * The transactional id. It must stay the same across restarts, so that a new run fences off
   * a crashed one and aborts its open transaction, and it must differ between sinks that write
   * at the same time (two workers on one topic), or they fence each other off.
   * @default `capital.${topic}`
   */
  readonly transactionalId?: string;
  /**
   * The compacted topic that records every stored page's task key and next tasks.
   * @default `${topic}.capital-checkpoints`
   */
  readonly checkpointTopic?: string;
  /**
   * The pages of a batch share produce requests up to this many bytes; larger batches (and
   * larger pages) are sent in several requests, all in the batch's transaction, so no request
   * exceeds the broker's `message.max.bytes` (1 MiB by default). A record larger than this
   * (with its key and headers) fails its page with `RECORD_TOO_LARGE`, before anything is sent.
   * @default 1_000_000
   */
  readonly maxBatchBytes?: number;
  /**
   * How many writes the sink takes at once (`writeTo` keeps that many pages in flight). Pages
   * that arrive while a transaction commits wait, and the next transaction stores all of them,
   * each with its checkpoint message: exactly once costs its round trips per batch, not per page.
   * @default 16
   */
  readonly maxPendingWrites?: number;
  /**
   * Compression of the record batches.
   * @default 'none'
   */
  readonly compression?: CompressionAlgorithmValue;
};

/** {@link KafkaSinkOptions} checked, with defaults filled in. */
export type ResolvedKafkaSinkOptions<D> = {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly recordKey: RecordKey<D> | undefined;
  readonly connector: string | undefined;
  readonly clientId: string;
  readonly createTopic: KafkaTopicSettings | false;
  readonly connectTimeoutMs: number;
  readonly exactlyOnce: boolean;
  readonly disposition: WriteDisposition;
  readonly job: string;
  readonly transactionalId: string;
  readonly checkpointTopic: string;
  readonly maxBatchBytes: number;
  readonly maxPendingWrites: number;
  readonly compression: CompressionAlgorithmValue;
};

// Kafka's own rule for topic names (`Topic.validate`): legal characters, at most 249 of them.
const topicName = /^[a-zA-Z0-9._-]{1,249}$/;
const brokerAddress = /^(\[[0-9a-fA-F:.]+\]|[^\s:/,[\]]+):(\d{1,5})$/;

/**
 * Checks the options once, where they enter the sink, and fills in the defaults.
 *
 * @throws {InvalidOptionError} for a missing broker list, a bad topic name or a value out of range.
 * @example resolveKafkaSinkOptions({ brokers: '127.0.0.1:9092', topic: 'wtd' }).checkpointTopic // 'wtd.capital-checkpoints'
 */
export function resolveKafkaSinkOptions<D>(options: KafkaSinkOptions<D>): ResolvedKafkaSinkOptions<D> {
  const brokers = parseBrokers(options.brokers ?? process.env.KAFKA_BROKERS);
  const topic = checkTopic('topic', options.topic);
  const checkpointTopic = checkTopic(
    'checkpointTopic',
    options.checkpointTopic ?? `${topic}.capital-checkpoints`,
  );
  if (checkpointTopic === topic) throw new InvalidOptionError('checkpointTopic', 'must differ from topic.');
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  checkWhole('connectTimeoutMs', connectTimeoutMs, 1);
  const maxBatchBytes = options.maxBatchBytes ?? 1_000_000;
  checkWhole('maxBatchBytes', maxBatchBytes, 1);
  const maxPendingWrites = options.maxPendingWrites ?? 16;
  checkWhole('maxPendingWrites', maxPendingWrites, 1);
  const createTopic = options.createTopic ?? {};
  if (createTopic) {
    if (createTopic.partitions !== undefined) checkWhole('createTopic.partitions', createTopic.partitions, 1);
    if (createTopic.replicas !== undefined) checkWhole('createTopic.replicas', createTopic.replicas, 1);
  }
  const clientId = options.clientId ?? 'capital';
  if (!/^\S+$/.test(clientId))
    throw new InvalidOptionError('clientId', 'must be a non-empty string without spaces.');
  const disposition = options.disposition ?? 'merge';
  if (disposition === 'replace') {
    throw new InvalidOptionError(
      'disposition',
      'replace is not supported by the Kafka sink: a topic cannot be swapped atomically (tombstones for the keys a run did not see would reach consumers one delete at a time). Use merge on a compacted topic, or write a new topic and switch consumers to it.',
    );
  }
  if (disposition !== 'merge' && disposition !== 'append') {
    throw new InvalidOptionError('disposition', `must be append or merge, got ${String(disposition)}.`);
  }
  const transactionalId = options.transactionalId ?? `capital.${topic}`;
  if (transactionalId === '') throw new InvalidOptionError('transactionalId', 'must not be empty.');
  return {
    brokers,
    topic,
    recordKey: options.recordKey,
    connector: options.connector,
    clientId,
    createTopic,
    connectTimeoutMs,
    exactlyOnce: options.exactlyOnce ?? true,
    transactionalId,
    disposition,
    job: options.job ?? 'default',
    checkpointTopic,
    maxBatchBytes,
    maxPendingWrites,
    compression: options.compression ?? 'none',
  };
}

/**
 * Splits and checks a broker list: `'a:9092,b:9092'` or `['a:9092', 'b:9092']`.
 *
 * @throws {InvalidOptionError} when the list is missing or an entry is not `host:port`.
 */
export function parseBrokers(value: string | readonly string[] | undefined): string[] {
  const list = (typeof value === 'string' ? value.split(',') : [...(value ?? [])]).map((entry) =>
    entry.trim(),
  );
  const brokers = list.filter((entry) => entry !== '');
  if (brokers.length === 0) {
    throw new InvalidOptionError(
      'brokers',
      'no Kafka brokers: pass `brokers` or set KAFKA_BROKERS (host:port,…).',
    );
  }
  for (const broker of brokers) {
    const match = brokerAddress.exec(broker);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) {
      throw new InvalidOptionError('brokers', `expected host:port, got ${JSON.stringify(broker)}.`);
    }
  }
  return brokers;
}

function checkTopic(option: string, name: string): string {
  if (!topicName.test(name) || name === '.' || name === '..') {
    throw new InvalidOptionError(
      option,
      `${JSON.stringify(name)} is not a Kafka topic name (1–249 of a-z A-Z 0-9 . _ -).`,
    );
  }
  return name;
}

function checkWhole(option: string, value: number, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidOptionError(option, `must be a whole number ≥ ${minimum}, got ${value}.`);
  }
}
