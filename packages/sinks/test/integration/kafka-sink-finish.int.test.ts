// A run finished in the Kafka transaction of its last page, against the real broker of
// scripts/kafka (KAFKA_BROKERS). In a partition, the commit marker that ends a transaction takes
// an offset: the last page's checkpoint and the run's `finished` record at consecutive offsets of
// the (one-partition) checkpoint topic were committed by one transaction.
import type { Admin } from '@platformatic/kafka';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaSink } from '../../src/kafka/kafka-sink.js';
import type { SinkPage } from '../../src/sink.js';
import {
  brokers,
  connectAdmin,
  deleteTopicsAndGroups,
  readCommitted,
  readCommittedAt,
  topicFor,
} from './fixtures/kafka.js';

type Row = { readonly id: string };

let admin: Admin;
const topics: string[] = [];
const sinks: KafkaSink<Row>[] = [];

beforeAll(() => {
  admin = connectAdmin();
  return async () => {
    await admin.close();
  };
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.abort().catch(() => {})));
  const mine = new Set(topics.splice(0));
  await deleteTopicsAndGroups(admin, (topic) => mine.has(topic));
});

function sinkFor(topic: string, maxPendingWrites?: number): KafkaSink<Row> {
  const sink = new KafkaSink<Row>({
    brokers,
    topic,
    recordKey: (row) => row.id,
    job: 'job',
    createTopic: { partitions: 1, replicas: 1 },
    ...(maxPendingWrites === undefined ? {} : { maxPendingWrites }),
  });
  sinks.push(sink);
  topics.push(sink.topic, sink.checkpointTopic);
  return sink;
}

function page(n: number, last = false): SinkPage<Row> {
  return {
    key: `page-${n}`,
    task: { type: 'test.items', page: n },
    data: [{ id: `r${n}` }],
    nextTasks: [],
    fetchedAt: Date.now(),
    ...(last ? { last: true } : {}),
  };
}

type Offsets = {
  page: (n: number) => bigint | undefined;
  runs: { offset: bigint; run: Record<string, unknown> }[];
};

/** Where the checkpoint topic holds each page's checkpoint and each record of run `runId`. */
async function checkpointOffsets(sink: KafkaSink<Row>, runId: string): Promise<Offsets> {
  const read = await readCommittedAt(sink.checkpointTopic);
  return {
    page: (n) => read.find((message) => message.key === `page:${runId}:page-${n}`)?.offset,
    runs: read
      .filter((message) => message.key === `run:${runId}`)
      .map((message) => ({
        offset: message.offset,
        run: JSON.parse(message.value) as Record<string, unknown>,
      })),
  };
}

const watermarkOf = { watermark: (run: { startedAt: number }) => new Date(run.startedAt).toISOString() };

describe.skipIf(brokers === '')('KafkaSink finishing a run with its last page', () => {
  it('commits the run finished, with its watermark, in the transaction of the last page', async () => {
    const sink = sinkFor(topicFor('finish-last'));
    const { run } = await sink.runs.open({ finish: watermarkOf });
    await sink.write(page(1));
    await sink.write(page(2));
    await sink.write(page(3, true));

    // Before close(): what read_committed consumers see has the run finished with the last page.
    const offsets = await checkpointOffsets(sink, run.id);
    const finished = offsets.runs.at(-1);
    expect(finished?.run).toMatchObject({
      state: 'finished',
      pages: 3,
      watermark: new Date(run.startedAt).toISOString(),
    });
    const [two, three] = [offsets.page(2), offsets.page(3)];
    // Transactions of their own are one commit marker apart; one transaction's messages are not.
    expect(three).toBe((two ?? 0n) + 2n);
    expect(finished?.offset).toBe((three ?? 0n) + 1n);
    expect((await readCommitted(sink.topic)).map((message) => message.key)).toEqual(['r1', 'r2', 'r3']);

    // close() finds the run finished and commits nothing more.
    await sink.close();
    expect((await checkpointOffsets(sink, run.id)).runs).toHaveLength(offsets.runs.length);
  });

  it('finishes in the transaction of the last page after every earlier batch, with many writes in flight', async () => {
    const sink = sinkFor(topicFor('finish-many'), 32);
    const { run } = await sink.runs.open({ finish: watermarkOf });
    const count = 100;
    await Promise.all(
      Array.from({ length: count }, (_, index) => sink.write(page(index + 1, index + 1 === count))),
    );
    const offsets = await checkpointOffsets(sink, run.id);
    const finished = offsets.runs.at(-1);
    expect(finished?.run).toMatchObject({ state: 'finished', pages: count });
    const pageOffsets = Array.from({ length: count }, (_, index) => offsets.page(index + 1) ?? -1n);
    // Every page's checkpoint comes before the run's record, the last page's in its transaction.
    expect(pageOffsets.every((offset) => offset >= 0n && offset < (finished?.offset ?? 0n))).toBe(true);
    expect(finished?.offset).toBe((offsets.page(count) ?? 0n) + 1n);
    await sink.close();
  });

  it('leaves the run to close(), in a transaction after the last page, when opened without finish', async () => {
    const sink = sinkFor(topicFor('finish-close'));
    const { run } = await sink.runs.open();
    await sink.write(page(1, true));
    expect((await checkpointOffsets(sink, run.id)).runs.at(-1)?.run).toMatchObject({ state: 'running' });
    await sink.close({ watermark: 'w' });
    const offsets = await checkpointOffsets(sink, run.id);
    const finished = offsets.runs.at(-1);
    expect(finished?.run).toMatchObject({ state: 'finished', watermark: 'w', pages: 1 });
    expect(finished?.offset).toBe((offsets.page(1) ?? 0n) + 2n);
  });
});
