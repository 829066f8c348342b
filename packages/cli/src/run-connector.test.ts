import { type Connector, createCredentialResolver, type Expectation, type Task } from '@capital/core';
import type { OpenRunOptions, PageReceipt, Sink, SinkPage, SinkSummary } from '@capital/sinks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runConnector } from './run-connector.js';

type Item = { readonly id: string };

/**
 * A connector of one page of one record, whose handler fails when `failure` is given, and whose
 * page states `expect` of the whole result.
 */
function connector(failure?: Error, expect?: Expectation): Connector<Task, Item> {
  return {
    name: 'test',
    description: 'a test connector',
    params: [],
    credential: { envVar: 'TEST_TOKEN', reference: 'vault:test' },
    defaultRate: 'off',
    seeds: () => [{ type: 'test.list', page: 1 }],
    createHandler: () => async (task) => {
      if (failure) throw failure;
      return { task, data: [{ id: 'a' }], nextTasks: [], ...(expect === undefined ? {} : { expect }) };
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

  it('opens the run to finish with its last page, and marks the last page so', async () => {
    const sink = recordingSink();
    await runConnector({ ...options(sink), connector: connector(undefined, { records: 1 }) });
    expect(sink.opened[0]?.finish).toBeDefined();
    expect(sink.pages.map((page) => page.last)).toEqual([true]);
  });

  it('does not mark the last page of a run found incomplete, which then fails unfinished', async () => {
    const sink = recordingSink();
    const failed = runConnector({ ...options(sink), connector: connector(undefined, { records: 2 }) });
    await expect(failed).rejects.toMatchObject({ name: 'IncompleteRunError' });
    expect(sink.pages).toHaveLength(1);
    expect(sink.pages[0]?.last).toBeUndefined();
  });
});

/** A sink that keeps runs and records what it was given. */
function recordingSink(): Sink<Item> & { pages: SinkPage<Item>[]; opened: OpenRunOptions[] } {
  const pages: SinkPage<Item>[] = [];
  const opened: OpenRunOptions[] = [];
  const run = {
    id: '0a0b0c0d',
    job: 'test {}',
    state: 'running',
    disposition: 'merge',
    startedAt: 0,
    pages: 0,
  } as const;
  return {
    pages,
    opened,
    write: async (page) => {
      pages.push(page);
      return { key: page.key, records: page.data.length };
    },
    close: async () => ({ pages: pages.length, records: pages.length, location: 'memory' }),
    abort: async () => {},
    runs: {
      open: async (openOptions = {}) => {
        opened.push(openOptions);
        return { run, resumed: false, pagesStored: 0, watermark: undefined };
      },
      list: async () => [],
      reset: async () => 0,
    },
  };
}

function options(sink: Sink<Item>) {
  return {
    connector: connector(),
    params: {},
    sink,
    baseUrl: 'http://127.0.0.1:1',
    resolveCredential: createCredentialResolver({}, { TEST_TOKEN: 'x' }),
    retry: false as const,
  };
}
