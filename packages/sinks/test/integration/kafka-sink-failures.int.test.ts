// How the Kafka sink fails, against the real broker of scripts/kafka (KAFKA_BROKERS): an
// unreachable broker, a record JSON cannot hold, an abort mid-page, a crash mid-transaction and
// a second sink with the same transactional id. Every test has topics of its own, deleted
// afterwards; what consumers see is read with the Kafka client's read_committed consumer.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { runConnector } from '@capital/cli';
import { type Connector, createCredentialResolver, taskKey } from '@capital/core';
import { connector, stockSearchTask } from '@capital/wtd-connector';
import {
  generateListings,
  type Listing,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { type Admin, FetchIsolationLevels, Producer } from '@platformatic/kafka';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaUnavailableError } from '../../src/kafka/kafka-errors.js';
import { KafkaSink } from '../../src/kafka/kafka-sink.js';
import type { KafkaSinkOptions } from '../../src/kafka/kafka-sink-options.js';
import type { SinkPage } from '../../src/sink.js';
import { SinkWriteError } from '../../src/sink-error.js';
import { brokers, committedKeys, connectAdmin, deleteTopicsAndGroups, topicFor } from './fixtures/kafka.js';

const expected = searchListings(generateListings(), 'new york');

let admin: Admin;
const topics = new Set<string>();
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  admin = connectAdmin();
  return async () => {
    await admin.close();
  };
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup().catch(() => {})));
  const mine = new Set(topics);
  topics.clear();
  await deleteTopicsAndGroups(admin, (topic) => mine.has(topic));
});

function kafkaSink(topic: string, options: Partial<KafkaSinkOptions<Listing>> = {}): KafkaSink<Listing> {
  const sink = new KafkaSink<Listing>({
    brokers,
    topic,
    recordKey: (listing) => listing.symbol,
    createTopic: { partitions: 3, replicas: 1 },
    ...options,
  });
  cleanups.push(() => sink.abort());
  topics.add(sink.topic).add(sink.checkpointTopic);
  return sink;
}

/** Page `page` of the "new york" search, as the crawl would hand it to a sink. */
function wtdPage(
  page: number,
  data: readonly unknown[] = expected.slice((page - 1) * 50, page * 50),
): SinkPage<Listing> {
  const task = stockSearchTask({ searchTerm: 'new york', page });
  return { key: taskKey(task), task, data: data as Listing[], nextTasks: [], fetchedAt: Date.now() };
}

/** Messages on the broker in `topic`, committed or not (the high watermarks, markers included). */
async function writtenOffsets(topic: string): Promise<bigint> {
  const listed = await admin.listOffsets({
    topics: [
      { name: topic, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) },
    ],
    isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
  });
  return listed.flatMap((entry) => entry.partitions).reduce((sum, partition) => sum + partition.offset, 0n);
}

const symbolsOf = (...pages: number[]) =>
  pages.flatMap((page) => expected.slice((page - 1) * 50, page * 50).map((listing) => listing.symbol)).sort();

describe('KafkaSink failures', () => {
  it('fails with KafkaUnavailableError within its connect timeout when no broker listens, acknowledging nothing', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const emulator = await startEmulator({ rateLimit: false });
    cleanups.push(() => emulator.close());
    const sink = kafkaSink(topicFor('unreachable'), { brokers: `127.0.0.1:${port}`, connectTimeoutMs: 1500 });
    let acknowledged = 0;

    const startedAt = performance.now();
    const error = await runConnector({
      connector: connector as unknown as Connector,
      params: { search: 'new york' },
      sink: {
        write: async (page) => {
          const receipt = await sink.write(page as SinkPage<Listing>);
          acknowledged += 1;
          return receipt;
        },
        close: () => sink.close(),
        abort: (reason) => sink.abort(reason),
        checkpoint: sink.checkpoint,
      },
      baseUrl: emulator.url,
      resolveCredential: createCredentialResolver({}, { WTD_API_TOKEN: 'demo' }),
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect(error).toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
      brokers: [`127.0.0.1:${port}`],
      timeoutMs: 1500,
    });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(performance.now() - startedAt).toBeLessThan(1500 + 5000);
    expect(acknowledged).toBe(0);
    expect(emulator.stats().pages).toEqual([]);
  });

  it('resolves a write only once its page is committed: read_committed consumers then get all of it', async () => {
    const sink = kafkaSink(topicFor('durable'));
    await sink.write(wtdPage(1));
    expect(await committedKeys(sink.topic)).toEqual(symbolsOf(1));
  });

  it('rejects a page with a record JSON cannot hold, naming the page, and sends nothing of it', async () => {
    const sink = kafkaSink(topicFor('unserialisable'));
    await sink.write(wtdPage(1));
    const bad = wtdPage(2, [...expected.slice(50, 60), { ...expected[60], price: 10n }]);

    const error = await sink.write(bad).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SinkWriteError);
    expect(error).toMatchObject({ code: 'RECORD_NOT_SERIALISABLE', taskKey: bad.key, page: 2 });
    expect((error as Error).message).toMatch(/page 2\).*record 10 cannot be serialised as JSON/);

    await sink.write(wtdPage(3));
    expect(await committedKeys(sink.topic)).toEqual(symbolsOf(1, 3));
    const stored = await kafkaSink(sink.topic).checkpoint.completed([
      wtdPage(1).key,
      bad.key,
      wtdPage(3).key,
    ]);
    expect([...stored.keys()]).toEqual([wtdPage(1).key, wtdPage(3).key]);
  });

  it('aborts the transaction of the page in flight when the sink is aborted, and fails the pages waiting', async () => {
    // Two or three messages (of ~350 bytes) per produce request, so the page takes a couple of
    // hundred round trips to send.
    const sink = kafkaSink(topicFor('abort'), { maxBatchBytes: 1_000 });
    await sink.write(wtdPage(1));
    const before = await writtenOffsets(sink.topic);
    const all = wtdPage(2, expected);
    const writing = sink.write(all).catch((caught: unknown) => caught);
    while ((await writtenOffsets(sink.topic)) === before)
      await new Promise((resolve) => setTimeout(resolve, 2));
    // Waits for the next transaction.
    const waiting = sink.write(wtdPage(3)).catch((caught: unknown) => caught);
    await sink.abort(new Error('stop'));

    expect(await writing).toMatchObject({ code: 'SINK_ABORTED', taskKey: all.key });
    expect(await waiting).toMatchObject({ code: 'SINK_ABORTED', taskKey: wtdPage(3).key });
    expect(await committedKeys(sink.topic)).toEqual(symbolsOf(1));
    const stored = await kafkaSink(sink.topic).checkpoint.completed([
      wtdPage(1).key,
      all.key,
      wtdPage(3).key,
    ]);
    expect([...stored.keys()]).toEqual([wtdPage(1).key]);
  });

  it('fences off the older of two sinks with one transactional id', async () => {
    const older = kafkaSink(topicFor('fenced'));
    await older.write(wtdPage(1));
    const newer = kafkaSink(older.topic);
    await newer.checkpoint.completed([]);

    const error = await older.write(wtdPage(2)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'KAFKA_PRODUCER_FENCED', taskKey: wtdPage(2).key });
    expect((error as Error).message).toContain(`capital.${older.topic}`);
    await newer.write(wtdPage(3));
    expect(await committedKeys(older.topic)).toEqual(symbolsOf(1, 3));
  });

  it('never shows a page whose run crashed mid-transaction: the next run aborts it and fetches it again', async () => {
    const first = kafkaSink(topicFor('crash'));
    const { run } = await first.runs.open();
    await first.write(wtdPage(1));
    // A run that dies between sending page 2 and committing it: its producer just goes away.
    const crashed = new Producer({
      clientId: 'capital-test',
      bootstrapBrokers: brokers.split(','),
      idempotent: true,
      transactionalId: first.transactionalId as string,
      timeout: 60_000,
      retryDelay: 20,
    });
    const transaction = await crashed.beginTransaction({ producerId: -1n, producerEpoch: -1 });
    await transaction.send({
      messages: [
        ...expected.slice(50, 100).map((listing) => ({
          topic: first.topic,
          key: Buffer.from(listing.symbol),
          value: Buffer.from(JSON.stringify(listing)),
        })),
        {
          topic: first.checkpointTopic,
          key: Buffer.from(`page:${run.id}:${wtdPage(2).key}`),
          value: Buffer.from('[]'),
        },
      ],
    });
    await crashed.close(true);

    const next = kafkaSink(first.topic);
    const stored = await next.checkpoint.completed([wtdPage(1).key, wtdPage(2).key]);
    expect([...stored.keys()]).toEqual([wtdPage(1).key]);
    expect(await committedKeys(first.topic)).toEqual(symbolsOf(1));
    await next.write(wtdPage(2));
    expect(await committedKeys(first.topic)).toEqual(symbolsOf(1, 2));
  });
});
