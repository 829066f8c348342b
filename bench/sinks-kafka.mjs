// Messages per second into Kafka through `KafkaSink`, beside the raw @platformatic/kafka
// producer writing the same records with the same settings (idempotent, acks all, the same
// headers), in the same run, on the broker of scripts/kafka (or KAFKA_BROKERS).
//
// The sink is driven as `capital run` drives it: `writeTo(sink)` (up to maxPendingWrites = 16
// writes in flight, which it groups into one transaction per batch) behind a source that keeps
// at most 12 pages unacknowledged, the default crawl's bound (concurrency 4 + buffer 8; see
// writeLikeACrawl in support/postgres-rows.mjs): its batches are thus of up to 12 pages. The raw
// producer batches the same: 12 pages per transaction (or per round of produce requests), cut
// into requests of at most 1 MB by the sink's own estimate, one batch after another. The sink
// also writes one checkpoint message per page (what lets a run resume); the raw producer does not.
//
// Two pairs, each against its like: the sink with transactions (exactly once) beside the raw
// producer committing one transaction per batch, and the sink with `exactlyOnce: false` beside
// the raw idempotent producer. The last column prices exactly-once itself: the transactional
// sink against the plain idempotent producer. (A raw idempotent producer with several produce
// requests in flight is no baseline: this client then fails with OUT_OF_ORDER_SEQUENCE_NUMBER.)
// Every run writes to fresh topics, created and given a leader before the clock starts; both
// sides register their producer before it starts and close it after it stops. Throughputs are
// medians of BENCH_REPEATS runs; a ratio is the median of the runs' own sink/raw ratios (each
// pair ran back to back, in alternating order), which a 2-core machine's drift disturbs less.
// The spread of each side's runs (max/min − 1) is the noise. Goal: ≥ 0.9× the raw producer with
// the same settings.
import { loadavg } from 'node:os';
import { KafkaSink } from '@capital/sinks';
import { ensureKafkaBroker } from './support/kafka-broker.mjs';
import { kafka, rawProducerRun } from './support/kafka-raw-producer.mjs';
import { writeLikeACrawl } from './support/postgres-rows.mjs';
import { median } from './support/stats.mjs';

const repeats = Number(process.env.BENCH_REPEATS ?? 7);
const totalRecords = Number(process.env.BENCH_RECORDS ?? 20_000);
const pageSizes = [50, 500];
const partitions = 3;
// Pages a default crawl keeps out (concurrency 4 + buffer 8): the most the sink can group.
const crawlBound = 12;
const recordKey = (listing) => listing.symbol;

/** Creates topics and waits until every partition has a leader, so no run pays for that. */
async function readyTopics(admin, specs) {
  for (const { topic, count, configs = [] } of specs) {
    await admin.createTopics({ topics: [topic], partitions: count, replicas: 1, configs });
  }
  const names = specs.map((spec) => spec.topic);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const metadata = await admin.metadata({ topics: names, forceUpdate: true });
    const led = names.every((name) =>
      metadata.topics.get(name)?.partitions.every((partition) => partition.leader >= 0),
    );
    if (led) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Topics ${names.join(', ')} got no leader in time.`);
}

async function sinkRun(admin, { brokers, topic, pages, exactlyOnce }) {
  const sink = new KafkaSink({
    brokers,
    topic,
    exactlyOnce,
    recordKey,
    connector: 'bench',
    createTopic: false,
  });
  await readyTopics(admin, [
    { topic, count: partitions },
    { topic: sink.checkpointTopic, count: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] },
  ]);
  // Opening (producer registration, reading the empty checkpoint) is not timed: the raw
  // producer is registered before its clock starts too.
  await sink.checkpoint.completed([]);
  const records = pages.reduce((sum, page) => sum + page.data.length, 0);
  const started = performance.now();
  await writeLikeACrawl(sink, pages);
  const perSecond = records / ((performance.now() - started) / 1000);
  await sink.close();
  return perSecond;
}

async function rawRun(admin, { brokers, topic, pages, exactlyOnce }) {
  await readyTopics(admin, [{ topic, count: partitions }]);
  return rawProducerRun({
    brokers,
    topic,
    pages,
    transactional: exactlyOnce,
    recordKey,
    pagesPerBatch: crawlBound,
  });
}

const spread = (values) => Math.max(...values) / Math.min(...values) - 1;
const percent = (value) => `${(value * 100).toFixed(0)} %`;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

export async function main() {
  const loadBefore = load();
  const { generateListings } = await import('@capital/wtd-connector/testing');
  const { taskKey } = await import('@capital/core');
  const broker = ensureKafkaBroker();
  const brokers = broker.brokers;
  const admin = new kafka.Admin({ clientId: 'capital-bench', bootstrapBrokers: brokers.split(',') });
  const listings = generateListings({ size: totalRecords });
  const topics = [];
  const freshTopic = () => {
    const topic = `capital-bench.kafka.${process.pid}.${topics.length}`;
    topics.push(topic, `${topic}.capital-checkpoints`);
    return topic;
  };
  const rows = [];
  try {
    for (const size of pageSizes) {
      const records = Array.from({ length: Math.ceil(listings.length / size) }, (_, index) =>
        listings.slice(index * size, (index + 1) * size),
      );
      const pages = records.map((data, index) => {
        const task = { type: 'bench.page', size, page: index + 1 };
        return { key: taskKey(task), task, data, nextTasks: [], fetchedAt: Date.now() };
      });
      for (const exactlyOnce of [true, false]) {
        const runs = [];
        for (let run = 0; run < repeats; run += 1) {
          const viaSink = () => sinkRun(admin, { brokers, topic: freshTopic(), pages, exactlyOnce });
          const viaRaw = () => rawRun(admin, { brokers, topic: freshTopic(), pages, exactlyOnce });
          // Alternate the order so that warm-up and noise fall on both sides alike.
          if (run % 2 === 0) {
            const sink = await viaSink();
            runs.push({ sink, raw: await viaRaw() });
          } else {
            const raw = await viaRaw();
            runs.push({ sink: await viaSink(), raw });
          }
        }
        rows.push({
          size,
          exactlyOnce,
          sink: median(runs.map((run) => run.sink)),
          raw: median(runs.map((run) => run.raw)),
          ratio: median(runs.map((run) => run.sink / run.raw)),
          sinkSpread: spread(runs.map((run) => run.sink)),
          rawSpread: spread(runs.map((run) => run.raw)),
        });
      }
    }
  } finally {
    const existing = new Set(await admin.listTopics());
    const mine = topics.filter((topic) => existing.has(topic));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.close();
    broker.stop();
  }

  console.log(
    `kafka sink throughput (messages/s, median of ${repeats}; ${totalRecords} records, broker ${brokers}; ` +
      `load average ${loadBefore} before, ${load()} after):`,
  );
  console.log(
    '  page  mode                          raw producer      sink  sink/raw  sink/raw idempotent  spread raw  sink',
  );
  const idempotentRaw = (size) => rows.find((row) => row.size === size && !row.exactlyOnce).raw;
  for (const row of rows) {
    const mode = row.exactlyOnce ? 'transactions (exactly once)' : 'idempotent (at least once)';
    console.log(
      `  ${String(row.size).padStart(4)}  ${mode.padEnd(28)}  ${row.raw.toFixed(0).padStart(12)}  ${row.sink.toFixed(0).padStart(8)}  ${row.ratio.toFixed(2).padStart(7)}×  ${(row.sink / idempotentRaw(row.size)).toFixed(2).padStart(18)}×` +
        `  ${percent(row.rawSpread).padStart(10)}  ${percent(row.sinkSpread).padStart(4)}`,
    );
  }
  const worst = Math.min(...rows.map((row) => row.ratio));
  console.log(
    `  goal ≥ 0.9× the raw producer with the same settings: ${worst.toFixed(2)}× at worst (${worst >= 0.9 ? 'met' : 'MISSED'})`,
  );
  return { rows, worstRatio: worst };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
