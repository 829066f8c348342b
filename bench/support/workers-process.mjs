// One `startWorker` process for bench/workers.mjs: takes the bench queue's jobs with the WTD
// connector and a no-op sink (it resolves every write at once, as if durable, and counts pages),
// no rate limit. Prints "ready" once connected, then works until stdin closes; then closes the
// worker (finishing the jobs in flight) and prints its stats as JSON.
// Usage: REDIS_URL=… WTD_API_TOKEN=bench node workers-process.mjs QUEUE PREFIX CONCURRENCY BASE_URL
import { createCredentialResolver } from '@capital/core';
import { startWorker } from '@capital/workers';
import { connector } from '@capital/wtd-connector';

const [queue, prefix, concurrency, baseUrl] = process.argv.slice(2);

/** A sink that stores nothing: the bench measures the queue, not a database. */
const noopSink = {
  write: async (page) => ({ key: page.key, records: page.data.length }),
  close: async () => ({ pages: 0, records: 0, location: 'nowhere' }),
  abort: async () => {},
};

const worker = await startWorker({
  redis: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
  queue,
  prefix,
  concurrency: Number(concurrency),
  rate: false,
  sink: noopSink,
  loadConnector: async () => connector,
  baseUrl,
  resolveCredential: createCredentialResolver(process.env),
});
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', async () => {
  const stats = await worker.close();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  process.exit(0);
});
