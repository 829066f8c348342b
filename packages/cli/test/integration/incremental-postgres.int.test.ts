// Incremental sync into PostgreSQL with a small fake connector of an events API (emulator kit):
// the watermark is the start of the last finished run, committed in the transaction of its last
// page; the next run asks from it less the look-back, and the records it reads again are
// stored once, by record key.
import { createCredentialResolver } from '@capital/core';
import { PostgresSink } from '@capital/sinks';
import { type Pool, escapeIdentifier as q } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  adminPool,
  dropSchema,
  schemaName,
  serverUrl,
} from '../../../sinks/test/integration/fixtures/postgres.js';
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
let admin: Pool;
let schema: string;

beforeAll(async () => {
  admin = adminPool();
  api = await startEventsApi();
});
afterAll(async () => {
  await api.close();
  await admin.end();
});
beforeEach(() => {
  schema = schemaName();
  api.asked = [];
});
afterEach(async () => {
  await dropSchema(admin, schema);
});

const now = nowSeconds;

function run(options: { since?: Date; signal?: AbortSignal; sink?: PostgresSink<Event> } = {}) {
  const sink =
    options.sink ??
    new PostgresSink<Event>({
      connection: serverUrl,
      schema,
      table: 'events',
      recordKey: (e) => e.id,
      job: 'fake {}',
    });
  return runConnector({
    connector,
    params: {},
    sink,
    baseUrl: api.url,
    resolveCredential: createCredentialResolver({}, { FAKE_TOKEN: 'x' }),
    concurrency: 1,
    ...(options.since ? { since: options.since } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

async function stored(): Promise<string[]> {
  const rows = await admin.query<{ record: Event }>(`SELECT record FROM ${q(schema)}.events`);
  return rows.rows.map(({ record }) => `${record.id}:${record.v}`).sort();
}

async function runs(): Promise<
  { state: string; started_at: Date; watermark: string | null; since: string | null }[]
> {
  const found = await admin.query(
    `SELECT state, started_at, watermark, since FROM ${q(schema)}.events__runs ORDER BY started_at`,
  );
  return found.rows;
}

describe('incremental sync into PostgreSQL', () => {
  it('commits the run’s start as the watermark, and asks the next run from it less the look-back, storing re-read records once', async () => {
    const old = now() - 3600;
    api.events = Array.from({ length: 12 }, (_, index) => event(`e${index}`, old + index));

    const first = await run();

    expect(api.asked).toEqual([undefined, undefined, undefined]);
    const [firstRun] = await runs();
    expect(firstRun?.state).toBe('finished');
    expect(first.watermark).toBe(firstRun?.started_at.toISOString());
    expect(firstRun?.watermark).toBe(firstRun?.started_at.toISOString());
    // Committed in the transaction of the run's last page: the runs row and that page's checkpoint
    // have one xmin, the latest of the run's checkpoints.
    const xmins = await admin.query<{ run: string; latest: string }>(
      `SELECT (SELECT xmin::text FROM ${q(schema)}.events__runs) AS run,
         (SELECT max(xmin::text::bigint)::text FROM ${q(schema)}.events__pages) AS latest`,
    );
    expect(xmins.rows[0]?.run).toBe(xmins.rows[0]?.latest);

    // Changes while and after the first run: one just before its start (within the look-back,
    // as a record whose transaction committed late), one updated, one new.
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
    expect(await stored()).toEqual(
      [...Array.from({ length: 11 }, (_, index) => `e${index}:1`), 'e11:2', 'late:1', 'new:1'].sort(),
    );
    const [, secondRun] = await runs();
    expect(secondRun?.since).toBe(new Date(watermark - 60_000).toISOString());
    expect(secondRun?.watermark).toBe(secondRun?.started_at.toISOString());
  });

  it('leaves the watermark where it was when a run is interrupted, and resumes asking from the same point', async () => {
    api.events = Array.from({ length: 12 }, (_, index) => event(`e${index}`, now() - 3600 + index));
    await run();
    const [finished] = await runs();
    const controller = new AbortController();
    const sink = new PostgresSink<Event>({
      connection: serverUrl,
      schema,
      table: 'events',
      recordKey: (e) => e.id,
      job: 'fake {}',
    });
    const stopping = {
      ...sink,
      write: async () => {
        controller.abort(new Error('stopped'));
        throw new Error('stopped');
      },
      close: sink.close.bind(sink),
      abort: sink.abort.bind(sink),
      runs: sink.runs,
      checkpoint: sink.checkpoint,
      disposition: sink.disposition,
    } as unknown as PostgresSink<Event>;

    await expect(run({ sink: stopping, signal: controller.signal })).rejects.toThrow('stopped');

    const [first, interrupted] = await runs();
    expect(first?.watermark).toBe(finished?.watermark);
    expect(interrupted).toMatchObject({ state: 'interrupted', watermark: null });
    api.asked = [];
    await run({ since: new Date(0) });
    // The resume asks from the since the run began with, not from --since: its checkpoints match.
    expect(api.asked[0]).toBe(Math.floor(Date.parse(interrupted?.since ?? '') / 1000));
    const [, resumed] = await runs();
    expect(resumed).toMatchObject({ state: 'finished' });
    expect(resumed?.watermark).toBe(interrupted?.started_at.toISOString());
  });

  it('asks from --since over the watermark for a new run', async () => {
    api.events = [event('a', 100), event('b', 200)];
    await run();
    api.asked = [];

    await run({ since: new Date(150_000) });

    expect(api.asked).toEqual([150]);
  });
});
