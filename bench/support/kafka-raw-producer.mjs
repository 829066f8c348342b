// The baseline of bench/sinks-kafka.mjs: what a developer would write with @platformatic/kafka
// alone to put the same records into a topic with the same settings as the sink (idempotent,
// acks all, the same headers, the Java-compatible partitioner and, with transactions, the same
// quick retry on CONCURRENT_TRANSACTIONS), batched as the sink batches: `pagesPerBatch` pages in
// one transaction (or one round of produce requests), cut into produce requests of at most
// `maxBatchBytes` by the sink's own size estimate.
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

// What a record costs in a produce request beyond its key, value and headers: the sink's estimate
// (recordOverhead in packages/sinks/src/kafka/page-messages.ts).
const recordOverhead = 32;

/** Messages cut into requests of at most `maxBatchBytes` (by the estimate), in order. */
function requestsOf(messages, maxBatchBytes) {
  const requests = [];
  let request = [];
  let bytes = 0;
  for (const message of messages) {
    let size = Buffer.byteLength(message.value) + Buffer.byteLength(message.key) + recordOverhead;
    for (const [name, value] of Object.entries(message.headers)) size += name.length + value.length;
    if (request.length > 0 && bytes + size > maxBatchBytes) {
      requests.push(request);
      request = [];
      bytes = 0;
    }
    request.push(message);
    bytes += size;
  }
  if (request.length > 0) requests.push(request);
  return requests;
}

/**
 * Writes `pages` (`{ key, data }`, as the sink is handed them) to `topic`, `pagesPerBatch` pages per transaction (or per
 * round of produce requests), one batch after another, and returns the messages per second. The
 * producer is registered before the clock starts, as the sink's is.
 */
export async function rawProducerRun({
  brokers,
  topic,
  pages,
  transactional,
  recordKey,
  pagesPerBatch,
  maxBatchBytes = 1_000_000,
}) {
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
    for (let first = 0; first < pages.length; first += pagesPerBatch) {
      const messages = [];
      for (let index = first; index < Math.min(first + pagesPerBatch, pages.length); index += 1) {
        const page = pages[index];
        const headers = {
          _task_key: page.key,
          _page: String(index + 1),
          _fetched_at: new Date().toISOString(),
          _connector: 'bench',
        };
        for (const record of page.data) {
          messages.push({ topic, key: recordKey(record), value: JSON.stringify(record), headers });
        }
        records += page.data.length;
      }
      const requests = requestsOf(messages, maxBatchBytes);
      if (transactional) {
        const transaction = await producer.beginTransaction();
        for (const request of requests) await transaction.send({ messages: request });
        await transaction.commit();
      } else {
        for (const request of requests) await producer.send({ messages: request });
      }
    }
    return records / ((performance.now() - started) / 1000);
  } finally {
    await producer.close();
  }
}
