// Incremental sync into PostgreSQL with a small fake connector of an events API (emulator kit):
// the watermark is the start of the last finished run, committed when it finishes and not
// before; the next run asks from it less the look-back, and the records it reads again are
// stored once, by record key.
import { type Connector, createCredentialResolver, HttpStatusError, type Task } from '@capital/core';
import { jsonResponse, type RunningEmulatorServer, startEmulatorServer } from '@capital/core/testing';
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

type EventTask = Task & { readonly type: 'fake.events'; readonly page: number; readonly since?: number };
type Event = { readonly id: string; readonly created: number; readonly v: number };

const perPage = 5;
/** The API's data: events with `created` in seconds, as Stripe's. */
let events: Event[] = [];
/** The `created_gte` of every request, in order. */
let asked: (number | undefined)[] = [];
let emulator: RunningEmulatorServer;
let admin: Pool;
let schema: string;

const connector: Connector<EventTask, Event> = {
  name: 'fake',
  description: 'a fake events API',
  params: [],
  credential: { envVar: 'FAKE_TOKEN', reference: 'env:FAKE_TOKEN' },
  defaultRate: 'off',
  seeds: () => [{ type: 'fake.events', page: 1 }],
  incremental: {
    cursorField: 'created',
    seedsSince: (_params, since) => [
      { type: 'fake.events', page: 1, since: Math.floor(since.getTime() / 1000) },
    ],
    lookBackMs: 60_000,
  },
  createHandler: (runtime) => async (task) => {
    const url = new URL('/v1/events', runtime.baseUrl);
    url.searchParams.set('page', String(task.page));
    if (task.since !== undefined) url.searchParams.set('created_gte', String(task.since));
    const response = await fetch(url);
    if (!response.ok) throw new HttpStatusError(response.status, response.statusText);
    const body = (await response.json()) as { data: Event[]; has_more: boolean };
    return { task, data: body.data, nextTasks: body.has_more ? [{ ...task, page: task.page + 1 }] : [] };
  },
  limiterKey: () => 'fake',
  recordKey: (event) => event.id,
};

beforeAll(async () => {
  admin = adminPool();
  emulator = await startEmulatorServer({
    routes: [
      {
        method: 'GET',
        path: '/v1/events',
        handle: (request) => {
          const since = request.query.get('created_gte');
          asked.push(since === null ? undefined : Number(since));
          const page = Number(request.query.get('page') ?? '1');
          const matching = events.filter((event) => since === null || event.created >= Number(since));
          const data = matching.slice((page - 1) * perPage, page * perPage);
          return jsonResponse(200, { data, has_more: page * perPage < matching.length });
        },
      },
    ],
  });
});
afterAll(async () => {
  await emulator.close();
  await admin.end();
});
beforeEach(() => {
  schema = schemaName();
  asked = [];
});
afterEach(async () => {
  await dropSchema(admin, schema);
});

const now = () => Math.floor(Date.now() / 1000);
const event = (id: string, created: number, v = 1): Event => ({ id, created, v });

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
    baseUrl: emulator.url,
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
    events = Array.from({ length: 12 }, (_, index) => event(`e${index}`, old + index));

    const first = await run();

    expect(asked).toEqual([undefined, undefined, undefined]);
    const [firstRun] = await runs();
    expect(firstRun?.state).toBe('finished');
    expect(first.watermark).toBe(firstRun?.started_at.toISOString());
    expect(firstRun?.watermark).toBe(firstRun?.started_at.toISOString());

    // Changes while and after the first run: one just before its start (within the look-back,
    // as a record whose transaction committed late), one updated, one new.
    const watermark = Date.parse(firstRun?.watermark ?? '');
    events = [
      ...events,
      event('late', Math.floor(watermark / 1000) - 30),
      event('e11', Math.floor(watermark / 1000) + 1, 2),
      event('new', Math.floor(watermark / 1000) + 2),
    ].filter((entry, index, all) => all.findLastIndex((other) => other.id === entry.id) === index);
    asked = [];

    const second = await run();

    const sinceSeconds = Math.floor((watermark - 60_000) / 1000);
    expect(asked).toEqual([sinceSeconds]);
    expect(second).toMatchObject({ pagesFetched: 1, records: 3 });
    expect(await stored()).toEqual(
      [...Array.from({ length: 11 }, (_, index) => `e${index}:1`), 'e11:2', 'late:1', 'new:1'].sort(),
    );
    const [, secondRun] = await runs();
    expect(secondRun?.since).toBe(new Date(watermark - 60_000).toISOString());
    expect(secondRun?.watermark).toBe(secondRun?.started_at.toISOString());
  });

  it('leaves the watermark where it was when a run is interrupted, and resumes asking from the same point', async () => {
    events = Array.from({ length: 12 }, (_, index) => event(`e${index}`, now() - 3600 + index));
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
    asked = [];
    await run({ since: new Date(0) });
    // The resume asks from the since the run began with, not from --since: its checkpoints match.
    expect(asked[0]).toBe(Math.floor(Date.parse(interrupted?.since ?? '') / 1000));
    const [, resumed] = await runs();
    expect(resumed).toMatchObject({ state: 'finished' });
    expect(resumed?.watermark).toBe(interrupted?.started_at.toISOString());
  });

  it('asks from --since over the watermark for a new run', async () => {
    events = [event('a', 100), event('b', 200)];
    await run();
    asked = [];

    await run({ since: new Date(150_000) });

    expect(asked).toEqual([150]);
  });
});
