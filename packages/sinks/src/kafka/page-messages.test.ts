import { type Task, taskKey } from '@capital/core';
import { describe, expect, it } from 'vitest';
import type { SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { type PageMessagesConfig, pageMessages, produceRequests } from './page-messages.js';

type Listing = { symbol: string; name: string };

const fetchedAt = Date.parse('2024-03-01T12:00:00.000Z');
const next: Task = { type: 'test.list', page: 3 };

function sinkPage<D>(data: readonly D[], page: number | null = 2): SinkPage<D> {
  const task: Task = page === null ? { type: 'test.list' } : { type: 'test.list', page };
  return { key: taskKey(task), task, data, nextTasks: [next], fetchedAt };
}

function config<D>(overrides: Partial<PageMessagesConfig<D>> = {}): PageMessagesConfig<D> {
  return {
    topic: 'data',
    checkpointTopic: 'data.cp',
    recordKey: undefined,
    connector: undefined,
    maxBatchBytes: 1e6,
    ...overrides,
  };
}

const runId = '0a1b2c3d';

/** The produce requests of one page, as the sink sends a batch of one. */
function requestsOf<D>(page: SinkPage<D>, pageConfig: PageMessagesConfig<D>) {
  return produceRequests([pageMessages(page, pageConfig, runId)], pageConfig.maxBatchBytes);
}

function headers(message: { headers?: unknown }): Record<string, string> {
  return Object.fromEntries(
    [...(message.headers as Map<Buffer, Buffer>)].map(([key, value]) => [key.toString(), value.toString()]),
  );
}

const listings: Listing[] = [
  { symbol: 'AAA', name: 'Aaa Inc' },
  { symbol: 'BBB', name: 'Bbb Inc' },
];

describe('pageMessages', () => {
  it('makes one message per record, keyed by the record key, with the record JSON as the value', () => {
    const [batch] = requestsOf(sinkPage(listings), config<Listing>({ recordKey: (l) => l.symbol }));
    const data = batch?.filter((message) => message.topic === 'data') ?? [];
    expect(data.map((message) => [message.key?.toString(), JSON.parse(String(message.value))])).toEqual([
      ['AAA', listings[0]],
      ['BBB', listings[1]],
    ]);
  });

  it('ends the page with its checkpoint: its run and task key, and the next tasks', () => {
    const page = sinkPage(listings);
    const batches = requestsOf(page, config<Listing>());
    const last = batches.at(-1)?.at(-1);
    expect(last?.topic).toBe('data.cp');
    expect(last?.key?.toString()).toBe(`page:${runId}:${page.key}`);
    expect(JSON.parse(String(last?.value))).toEqual([next]);
  });

  it('puts the provenance in headers, the connector defaulting to the task type', () => {
    const page = sinkPage(listings);
    const [batch] = requestsOf(page, config<Listing>());
    expect(headers(batch?.[0] ?? {})).toEqual({
      _task_key: page.key,
      _page: '2',
      _fetched_at: '2024-03-01T12:00:00.000Z',
      _connector: 'test.list',
    });
    const [named] = requestsOf(sinkPage(listings, null), config<Listing>({ connector: 'wtd' }));
    expect(headers(named?.[0] ?? {})).toEqual({
      _task_key: expect.any(String),
      _fetched_at: expect.any(String),
      _connector: 'wtd',
    });
  });

  it('leaves messages without a key when there is no recordKey', () => {
    const [batch] = requestsOf(sinkPage(listings), config<Listing>());
    expect(batch?.[0]?.key).toBeUndefined();
  });

  it('stores an empty page as its checkpoint alone', () => {
    const batches = requestsOf(sinkPage([]), config());
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((message) => message.topic)).toEqual(['data.cp']);
  });

  it('splits a page larger than maxBatchBytes, keeping every message in order', () => {
    const many = Array.from({ length: 100 }, (_, index) => ({ symbol: `S${index}`, name: 'x'.repeat(100) }));
    const batches = requestsOf(sinkPage(many), config<Listing>({ maxBatchBytes: 2000 }));
    expect(batches.length).toBeGreaterThan(5);
    const flat = batches.flat();
    expect(flat).toHaveLength(101);
    expect(flat.slice(0, -1).map((message) => JSON.parse(String(message.value)).symbol)).toEqual(
      many.map((l) => l.symbol),
    );
  });

  it('sends the pages of a batch in shared requests, in order, each checkpoint after its records', () => {
    const first = sinkPage(listings, 1);
    const second = sinkPage([{ symbol: 'CCC', name: 'Ccc Inc' }], 2);
    const pages = [first, second].map((page) => pageMessages(page, config<Listing>(), runId));

    const [only, ...more] = produceRequests(pages, 1e6);
    expect(more).toEqual([]);
    expect(only?.map((message) => [message.topic, headers(message)._page])).toEqual([
      ['data', '1'],
      ['data', '1'],
      ['data.cp', '1'],
      ['data', '2'],
      ['data.cp', '2'],
    ]);
  });

  it('cuts a batch at maxBatchBytes, between pages or within one, keeping every message in order', () => {
    const many = Array.from({ length: 30 }, (_, index) => ({ symbol: `S${index}`, name: 'x'.repeat(100) }));
    const pages = [sinkPage(many.slice(0, 10), 1), sinkPage(many.slice(10), 2)].map((page) =>
      pageMessages(page, config<Listing>(), runId),
    );
    const largest = Math.max(...pages.flatMap((page) => page.bytes));

    const requests = produceRequests(pages, 5 * largest);

    const bytes = new Map(
      pages.flatMap((page) => page.messages.map((message, index) => [message, page.bytes[index] ?? 0])),
    );
    expect(requests.length).toBeGreaterThanOrEqual(7);
    for (const request of requests) {
      expect(request.reduce((sum, message) => sum + (bytes.get(message) ?? 0), 0)).toBeLessThanOrEqual(
        5 * largest,
      );
    }
    expect(requests.flat()).toEqual(pages.flatMap((page) => page.messages));
  });

  it('rejects a page with a record JSON cannot serialise, naming the page and the record', () => {
    const page = sinkPage<unknown>([{ ok: 1 }, { price: 10n }]);
    const error = catchError(() => pageMessages(page, config(), runId));
    expect(error).toBeInstanceOf(SinkWriteError);
    expect(error).toMatchObject({ code: 'RECORD_NOT_SERIALISABLE', taskKey: page.key, page: 2 });
    expect((error as Error).message).toMatch(/page 2.*record 1 cannot be serialised/);
  });

  it('rejects a record larger than maxBatchBytes as RECORD_TOO_LARGE, before it is sent', () => {
    const page = sinkPage([{ symbol: 'BIG', name: 'x'.repeat(3000) }]);
    const error = catchError(() => pageMessages(page, config<Listing>({ maxBatchBytes: 2000 }), runId));
    expect(error).toMatchObject({ code: 'RECORD_TOO_LARGE', taskKey: page.key, page: 2 });
    expect((error as Error).message).toMatch(/record 0 takes \d+ bytes .* more than maxBatchBytes \(2000\)/);
  });

  it('rejects a record that serialises to nothing', () => {
    const error = catchError(() => pageMessages(sinkPage<unknown>([() => 1]), config(), runId));
    expect(error).toMatchObject({ code: 'RECORD_NOT_SERIALISABLE' });
  });

  it('rejects a record key that is not a string', () => {
    const error = catchError(() =>
      pageMessages(
        sinkPage<unknown>([{ id: 7 }]),
        config<unknown>({ recordKey: (r) => (r as { id: string }).id }),
        runId,
      ),
    );
    expect(error).toMatchObject({ code: 'RECORD_KEY_INVALID' });
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
