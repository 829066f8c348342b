// The baseline of bench/sinks-kafka.mjs: what a developer would write with @platformatic/kafka
// alone to put the same records into a topic with the same settings as the sink (idempotent,
// acks all, one produce request per page, the same headers, the Java-compatible partitioner and,
// with transactions, one transaction per page and the same quick retry on CONCURRENT_TRANSACTIONS).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// The client is a dependency of @capital/sinks only, so it is resolved from there.
const fromSinks = createRequire(new URL('../../packages/sinks/package.json', import.meta.url));
export const kafka = await import(pathToFileURL(fromSinks.resolve('@platformatic/kafka')).href);

// The sink's retry delays (see kafkaRetryDelay in packages/sinks/src/kafka/kafka-clients.ts):
// without the quick retries on CONCURRENT_TRANSACTIONS every transaction would wait 1 s.
const retryDelay = (_client, _operation, attempt, _retries, error) => {
  if (error.findBy?.('apiId', 'CONCURRENT_TRANSACTIONS'))
    return attempt <= 10 ? 1 : Math.min(2 ** (attempt - 8), 500);
  return Math.min(100 * 2 ** (attempt - 1), 2000);
};

/**
 * Writes `pages` (arrays of records) to `topic` one page per request, awaiting each, and returns
 * the messages per second. The producer is registered before the clock starts, as the sink's is.
 */
export async function rawProducerRun({ brokers, topic, pages, transactional, recordKey }) {
  const producer = new kafka.Producer({
    clientId: 'capital-bench-raw',
    bootstrapBrokers: brokers.split(','),
    idempotent: true,
    acks: -1,
    retries: 20,
    retryDelay,
    timeout: 10_000,
    partitioner: kafka.compatibilityPartitioner,
    serializers: kafka.stringSerializers,
    ...(transactional ? { transactionalId: `capital-bench.${topic}` } : {}),
  });
  const newProducer = { producerId: -1n, producerEpoch: -1 };
  try {
    if (transactional) await (await producer.beginTransaction(newProducer)).cancel();
    else await producer.initIdempotentProducer(newProducer);
    let records = 0;
    const started = performance.now();
    for (const [index, page] of pages.entries()) {
      const headers = {
        _task_key: `page-${index}`,
        _page: String(index + 1),
        _fetched_at: new Date().toISOString(),
        _connector: 'bench',
      };
      const messages = page.map((record) => ({
        topic,
        key: recordKey(record),
        value: JSON.stringify(record),
        headers,
      }));
      if (transactional) {
        const transaction = await producer.beginTransaction();
        await transaction.send({ messages });
        await transaction.commit();
      } else {
        await producer.send({ messages });
      }
      records += page.length;
    }
    return records / ((performance.now() - started) / 1000);
  } finally {
    await producer.close();
  }
}
