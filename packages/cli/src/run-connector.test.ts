import { type Connector, createCredentialResolver, type Task } from '@capital/core';
import type { PageReceipt, Sink, SinkPage, SinkSummary } from '@capital/sinks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runConnector } from './run-connector.js';

type Item = { readonly id: string };

/** A connector of one page of one record, whose handler fails when `failure` is given. */
function connector(failure?: Error): Connector<Task, Item> {
  return {
    name: 'test',
    description: 'a test connector',
    params: [],
    credential: { envVar: 'TEST_TOKEN', reference: 'vault:test' },
    defaultRate: 'off',
    seeds: () => [{ type: 'test.list', page: 1 }],
    createHandler: () => async (task) => {
      if (failure) throw failure;
      return { task, data: [{ id: 'a' }], nextTasks: [] };
    },
    limiterKey: () => 'test',
    recordKey: (item) => item.id,
  };
}

/** A sink whose close and abort never settle, as one whose server stopped answering. */
function stuckSink(): Sink<Item> & { aborted: boolean; closing: Promise<void> } {
  let closing = (): void => {};
  const sink = {
    aborted: false,
    closing: new Promise<void>((resolve) => {
      closing = resolve;
    }),
    write: async (page: SinkPage<Item>): Promise<PageReceipt> => ({
      key: page.key,
      records: page.data.length,
    }),
    close: () => {
      closing();
      return new Promise<SinkSummary>(() => {});
    },
    abort: () => {
      sink.aborted = true;
      return new Promise<void>(() => {});
    },
  };
  return sink;
}

const run = (failure: Error | undefined, sink: Sink<Item>, signal?: AbortSignal) =>
  runConnector({
    connector: connector(failure),
    params: {},
    sink,
    baseUrl: 'http://127.0.0.1:1',
    resolveCredential: createCredentialResolver({}, { TEST_TOKEN: 'x' }),
    retry: false,
    signal,
  });

describe('runConnector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rethrows the crawl error after a bounded wait when the sink never finishes aborting', async () => {
    vi.useFakeTimers();
    const failure = new Error('the API is down');
    const sink = stuckSink();
    const outcome = run(failure, sink).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.aborted).toBe(true);
    expect(await outcome).toMatchObject({ name: 'TaskFailedError', cause: failure });
  });

  it('stops waiting for a sink that does not close when the signal aborts', async () => {
    const controller = new AbortController();
    const sink = stuckSink();
    const outcome = run(undefined, sink, controller.signal).catch((error: unknown) => error);
    await sink.closing;
    const reason = new Error('Interrupted by SIGINT.');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
  });
});
