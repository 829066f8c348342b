import { isCapitalError } from '@capital/core';
import type { Admin } from '@platformatic/kafka';
import type { KafkaClients } from './kafka-clients.js';
import { describeKafkaError, hasKafkaError, KafkaSinkError, KafkaUnavailableError } from './kafka-errors.js';
import type { CheckpointEntry } from './kafka-runs.js';
import type { KafkaTopicSettings, ResolvedKafkaSinkOptions } from './kafka-sink-options.js';
import { readCheckpoints } from './read-checkpoints.js';

/** What {@link openKafka} does besides reading. */
export type OpenKafkaMode = {
  /**
   * `false` only reads (`capital state show`): no topic is created, no producer registered —
   * registering would fence off a run writing now — and a missing checkpoint topic reads as empty.
   */
  readonly write: boolean;
};

/**
 * Gets a sink ready and tells what it stored before:
 *
 * 1. creates the data and checkpoint topics if missing (or checks that they exist);
 * 2. registers the producer. With transactions this is `InitProducerId` for the transactional
 *    id, which fences off any earlier producer with that id and aborts its open transaction, so
 *    a page a crashed run was writing never becomes visible;
 * 3. reads the checkpoint topic, whose committed messages are then final, into `apply`.
 *
 * Steps 1 and 2 must finish within `connectTimeoutMs`; step 3 is bounded by the clients'
 * retries, since a long checkpoint may take a while to read.
 *
 * @throws {KafkaUnavailableError} when no broker answered in time.
 * @throws {KafkaSinkError} `KAFKA_SETUP_FAILED` when Kafka refused (a replication factor above
 * the broker count, a missing topic with `createTopic: false`…), `KAFKA_CHECKPOINT_INVALID`.
 * @example await openKafka(options, await createKafkaClients(options), (entry) => book.apply(entry), { write: true })
 */
export async function openKafka<D>(
  options: ResolvedKafkaSinkOptions<D>,
  clients: KafkaClients,
  apply: (entry: CheckpointEntry) => void,
  mode: OpenKafkaMode,
): Promise<void> {
  const prepared = mode.write ? prepare(options, clients) : exists(options, clients);
  // Past the deadline the caller closes the clients, which rejects `prepared` later: seen here.
  prepared.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new KafkaUnavailableError(
          options.topic,
          options.brokers,
          options.connectTimeoutMs,
          clients.lastError(),
        ),
      );
    }, options.connectTimeoutMs);
  });
  try {
    if (!(await Promise.race([prepared, deadline]))) return;
    await readCheckpoints(clients.consumer, options.checkpointTopic, options.topic, apply);
  } catch (error) {
    throw setupError(options, error);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the checkpoint topic exists, asked without creating it. */
async function exists<D>(options: ResolvedKafkaSinkOptions<D>, clients: KafkaClients): Promise<boolean> {
  return (await clients.admin.listTopics()).includes(options.checkpointTopic);
}

async function prepare<D>(options: ResolvedKafkaSinkOptions<D>, clients: KafkaClients): Promise<true> {
  const topics = [options.topic, options.checkpointTopic];
  if (options.createTopic) {
    await createTopic(clients.admin, options.topic, options.createTopic, options.createTopic.partitions);
    await createTopic(
      clients.admin,
      options.checkpointTopic,
      { ...options.createTopic, configs: compacted },
      1,
    );
  } else {
    // Not `metadata`: the client retries an unknown topic until the deadline, as if Kafka were down.
    const existing = new Set(await clients.admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      throw new KafkaSinkError(
        options.topic,
        `${missing.length === 1 ? 'Topic' : 'Topics'} ${missing.join(' and ')} missing, and createTopic is false.`,
        {
          code: 'KAFKA_SETUP_FAILED',
        },
      );
    }
  }
  if (options.exactlyOnce) {
    // Beginning a transaction is what sends InitProducerId; nothing is sent in it, so it is
    // dropped locally (`cancel`) rather than ended on the broker.
    const transaction = await clients.producer.beginTransaction(newProducer);
    await transaction.cancel();
  } else {
    await clients.producer.initIdempotentProducer(newProducer);
  }
  return true;
}

// InitProducerId as a new producer (KIP-360: id and epoch -1). The client sends 0 and 0 by
// default, which the broker reads as "I am producer 0, epoch 0" and, once a transactional id has
// a producer, answers PRODUCER_FENCED: every run after the first would fail.
const newProducer = { producerId: -1n, producerEpoch: -1 };

const compacted = { 'cleanup.policy': 'compact' };

async function createTopic(
  admin: Admin,
  topic: string,
  settings: KafkaTopicSettings,
  partitions: number | undefined,
): Promise<void> {
  try {
    await admin.createTopics({
      topics: [topic],
      ...(partitions === undefined ? {} : { partitions }),
      ...(settings.replicas === undefined ? {} : { replicas: settings.replicas }),
      configs: Object.entries(settings.configs ?? {}).map(([name, value]) => ({ name, value })),
    });
  } catch (error) {
    if (!hasKafkaError(error, 'apiId', 'TOPIC_ALREADY_EXISTS')) throw error;
  }
}

function setupError<D>(options: ResolvedKafkaSinkOptions<D>, error: unknown): Error {
  if (isCapitalError(error)) return error;
  if (hasKafkaError(error, 'code', 'PLT_KFK_NETWORK'))
    return new KafkaUnavailableError(options.topic, options.brokers, options.connectTimeoutMs, error);
  return new KafkaSinkError(
    options.topic,
    `Kafka at ${options.brokers.join(',')} refused to set up topic ${options.topic}: ${describeKafkaError(error)}`,
    { code: 'KAFKA_SETUP_FAILED', cause: error },
  );
}
