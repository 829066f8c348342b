import type { Admin, Consumer, Producer } from '@platformatic/kafka';
import { hasKafkaError } from './kafka-errors.js';
import type { ResolvedKafkaSinkOptions } from './kafka-sink-options.js';

/** The three clients one sink uses, and the last error any of them retried after. */
export type KafkaClients = {
  readonly admin: Admin;
  readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  /** Reads the checkpoint topic with plain fetches: it never joins a consumer group. */
  readonly consumer: Consumer;
  /** The last error an operation was retried after, to say why a deadline passed. */
  lastError(): Error | undefined;
  /** Closes all three; `force` also cuts operations in flight (pending retries fail at once). */
  close(force: boolean): Promise<void>;
};

// Every request is retried this many times. An idempotent producer would otherwise retry
// forever (the client's default for it), and a sink must fail, not hang, when Kafka is gone.
const retries = 20;

/**
 * Waits before the next attempt. CONCURRENT_TRANSACTIONS is what the broker answers the first
 * request of a transaction while it still writes the previous one's commit markers, which takes
 * a millisecond or a few: the client's default delay (1 s) would cost a second per page, and
 * even an exponential backoff from 2 ms costs more than the transaction itself. So: ten quick
 * retries 1 ms apart, then backing off to 500 ms (about 2.5 s in all). Everything else backs off
 * exponentially from 100 ms to 2 s (about 33 s over all retries).
 */
export function kafkaRetryDelay(attempt: number, error: Error): number {
  if (hasKafkaError(error, 'apiId', 'CONCURRENT_TRANSACTIONS')) {
    return attempt <= 10 ? 1 : Math.min(2 ** (attempt - 8), 500);
  }
  return Math.min(100 * 2 ** (attempt - 1), 2000);
}

/**
 * Creates the clients of a sink. Nothing connects until the first request.
 *
 * The client library is imported here, not at the top: it compiles its option schemas when
 * loaded (about 3 s of a busy 2-core machine), which every `capital` process paid through
 * `@capital/sinks`, Kafka sink or not.
 *
 * @example const clients = await createKafkaClients(resolveKafkaSinkOptions({ topic: 'wtd' }))
 */
export async function createKafkaClients<D>(options: ResolvedKafkaSinkOptions<D>): Promise<KafkaClients> {
  const { Admin, Consumer, Producer, compatibilityPartitioner } = await import('@platformatic/kafka');
  let lastError: Error | undefined;
  const base = {
    clientId: options.clientId,
    bootstrapBrokers: [...options.brokers],
    connectTimeout: Math.min(options.connectTimeoutMs, 5000),
    // Also the transaction timeout the producer registers: an open transaction left by a
    // crashed run blocks read_committed consumers for at most this long (or until the same
    // transactional id starts again and aborts it).
    timeout: 10_000,
    retries,
    retryDelay: (_client: unknown, _operation: string, attempt: number, _retries: number, error: Error) => {
      lastError = error;
      return kafkaRetryDelay(attempt, error);
    },
  };
  const admin = new Admin(base);
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    ...base,
    idempotent: true,
    acks: -1,
    compression: options.compression,
    // Java clients' partitioner, so a record key maps to the same partition whoever writes it.
    // Only with keys: it puts every keyless message on partition 0, where the client's own
    // default spreads them round-robin.
    ...(options.recordKey ? { partitioner: compatibilityPartitioner } : {}),
    autocreateTopics: false,
    ...(options.exactlyOnce ? { transactionalId: options.transactionalId } : {}),
  });
  const consumer = new Consumer({
    ...base,
    groupId: `${options.clientId}.checkpoint-reader`,
    autocommit: false,
  });
  return {
    admin,
    producer,
    consumer,
    lastError: () => lastError,
    close: async (force) => {
      await Promise.allSettled([producer.close(force), consumer.close(force), admin.close()]);
    },
  };
}
