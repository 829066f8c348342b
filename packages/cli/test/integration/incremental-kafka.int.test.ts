// Incremental sync into Kafka with a small fake connector of an events API (emulator kit), as
// incremental-postgres.int.test.ts does for PostgreSQL: the watermark is the start of the last
// finished run, committed in the checkpoint topic when the run finishes and not before; the next
// run asks from it less the look-back, and the records it reads again go to the topic again
// (a compacted topic keeps the latest per key).
import { createCredentialResolver } from '@capital/core';
import { KafkaSink } from '@capital/sinks';
import type { Admin } from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  brokers,
  connectAdmin,
  deleteTopicsAndGroups,
  readCommitted,
  topicFor,
} from '../../../sinks/test/integration/fixtures/kafka.js';
import { runConnector } from '../../src/run-connector.js';
import {
  eventsConnector as connector,
  type Event,
  type EventsApi,
  event,
  nowSeconds,
  startEventsApi,
} from './fixtures/events-api.js';

let api: EventsApi;
let admin: Admin;
let topic: string;

beforeAll(async () => {
  admin = connectAdmin();
  api = await startEventsApi();
});
afterAll(async () => {
  await api.close();
  await admin.close();
});
beforeEach(() => {
  topic = topicFor('incremental');
  api.asked = [];
});
afterEach(async () => {
  await deleteTopicsAndGroups(admin, (name) => name.startsWith(topic));
});

const now = nowSeconds;

function kafkaSink(): KafkaSink<Event> {
  return new KafkaSink<Event>({ brokers, topic, recordKey: (e) => e.id, job: 'fake {}' });
}

function run(options: { since?: Date; signal?: AbortSignal; sink?: KafkaSink<Event> } = {}) {
  return runConnector({
    connector,
    params: {},
    sink: options.sink ?? kafkaSink(),
    baseUrl: api.url,
    resolveCredential: createCredentialResolver({}, { FAKE_TOKEN: 'x' }),
    concurrency: 1,
    ...(options.since ? { since: options.since } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** What read_committed consumers see, as `id:v`, sorted. */
async function stored(): Promise<string[]> {
  const read = await readCommitted(topic);
  return read
    .map((message) => {
      const record = JSON.parse(message.value) as Event;
      return `${record.id}:${record.v}`;
    })
    .sort();
}

/** The job's runs, oldest first. */
async function runs() {
  const sink = kafkaSink();
  try {
    return [...(await sink.runs.list())].reverse();
  } finally {
    await sink.abort();
  }
}

describe('incremental sync into Kafka', () => {
  it('commits the run’s start as the watermark, and asks the next run from it less the look-back', async () => {
    const old = now() - 3600;
    api.events = Array.from({ length: 12 }, (_, index) => event(`e${index}`, old + index));

    const first = await run();

    expect(api.asked).toEqual([undefined, undefined, undefined]);
    const [firstRun] = await runs();
    expect(firstRun?.state).toBe('finished');
    expect(first.watermark).toBe(new Date(firstRun?.startedAt ?? 0).toISOString());
    expect(firstRun?.watermark).toBe(first.watermark);

    const watermark = Date.parse(firstRun?.watermark ?? '');
    api.events = [
      ...api.events,
      event('late', Math.floor(watermark / 1000) - 30),
      event('e11', Math.floor(watermark / 1000) + 1, 2),
      event('new', Math.floor(watermark / 1000) + 2),
    ].filter((entry, index, all) => all.findLastIndex((other) => other.id === entry.id) === index);
    api.asked = [];

    const second = await run();

    const sinceSeconds = Math.floor((watermark - 60_000) / 1000);
    expect(api.asked).toEqual([sinceSeconds]);
    expect(second).toMatchObject({ pagesFetched: 1, records: 3 });
    // The first run's twelve, then the second's three: e11 twice, the later last.
    expect(await stored()).toEqual(
      [...Array.from({ length: 12 }, (_, index) => `e${index}:1`), 'e11:2', 'late:1', 'new:1'].sort(),
    );
    const [, secondRun] = await runs();
    expect(secondRun?.since).toBe(new Date(watermark - 60_000).toISOString());
    expect(secondRun?.watermark).toBe(new Date(secondRun?.startedAt ?? 0).toISOString());
  });

  it('leaves the watermark where it was when a run is interrupted, and resumes asking from the same point', async () => {
    api.events = Array.from({ length: 12 }, (_, index) => event(`e${index}`, now() - 3600 + index));
    await run();
    const [finished] = await runs();
    const controller = new AbortController();
    const sink = kafkaSink();
    const stopping = {
      write: async () => {
        controller.abort(new Error('stopped'));
        throw new Error('stopped');
      },
      close: sink.close.bind(sink),
      abort: sink.abort.bind(sink),
      runs: sink.runs,
      checkpoint: sink.checkpoint,
      disposition: sink.disposition,
    } as unknown as KafkaSink<Event>;

    await expect(run({ sink: stopping, signal: controller.signal })).rejects.toThrow('stopped');

    const [first, interrupted] = await runs();
    expect(first?.watermark).toBe(finished?.watermark);
    expect(interrupted).toMatchObject({ state: 'interrupted' });
    expect(interrupted?.watermark).toBeUndefined();
    api.asked = [];
    await run({ since: new Date(0) });
    // The resume asks from the since the run began with, not from --since.
    expect(api.asked[0]).toBe(Math.floor(Date.parse(interrupted?.since ?? '') / 1000));
    const [, resumed] = await runs();
    expect(resumed).toMatchObject({ id: interrupted?.id, state: 'finished' });
    expect(resumed?.watermark).toBe(new Date(interrupted?.startedAt ?? 0).toISOString());
  });
});
