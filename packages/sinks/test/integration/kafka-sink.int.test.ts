// The Kafka sink against the real broker of scripts/kafka (KAFKA_BROKERS), fed by the World
// Trading Data connector and its emulator through `runConnector`, as `capital run` does. Every
// test has topics of its own, deleted afterwards. What consumers see is read with the Kafka
// client's own read_committed consumer, not with the sink's checkpoint reader.
import { tracingChannel } from 'node:diagnostics_channel';
import { runConnector } from '@capital/cli';
import {
  type Connector,
  type CrawlEvent,
  createCredentialResolver,
  RunDeferredError,
  type Task,
  taskKey,
} from '@capital/core';
import { connector, type Listing, stockSearchTask } from '@capital/wtd-connector';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import type { Admin } from '@platformatic/kafka';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaSink } from '../../src/kafka/kafka-sink.js';
import type { KafkaSinkOptions } from '../../src/kafka/kafka-sink-options.js';
import type { Sink, SinkPage } from '../../src/sink.js';
import { SinkWriteError } from '../../src/sink-error.js';
import {
  brokers,
  type CommittedMessage,
  connectAdmin,
  deleteTopicsAndGroups,
  endOffset,
  readCommitted,
  topicFor,
} from './fixtures/kafka.js';

const wtd = connector as unknown as Connector;
const expected = searchListings(generateListings(), 'new york');
const bySymbol = (a: Listing, b: Listing) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);

let admin: Admin;
const topics: string[] = [];
const sinks: KafkaSink<Listing>[] = [];
let emulator: RunningEmulator | undefined;

beforeAll(() => {
  admin = connectAdmin();
  return async () => {
    await admin.close();
  };
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.abort().catch(() => {})));
  await emulator?.close();
  emulator = undefined;
  const mine = new Set(topics.splice(0));
  await deleteTopicsAndGroups(admin, (topic) => mine.has(topic));
});

function kafkaSink(topic: string, options: Partial<KafkaSinkOptions<Listing>> = {}): KafkaSink<Listing> {
  const sink = new KafkaSink<Listing>({
    brokers,
    topic,
    recordKey: (listing) => listing.symbol,
    connector: connector.name,
    createTopic: { partitions: 3, replicas: 1 },
    ...options,
  });
  sinks.push(sink);
  topics.push(sink.topic, sink.checkpointTopic);
  return sink;
}

async function wtdEmulator(): Promise<RunningEmulator> {
  emulator = await startEmulator({ rateLimit: false });
  return emulator;
}

function run(
  sink: Sink,
  url: string,
  extra: { signal?: AbortSignal; onEvent?: (event: CrawlEvent) => void } = {},
) {
  return runConnector({
    connector: wtd,
    params: { search: 'new york' },
    sink,
    baseUrl: url,
    resolveCredential: createCredentialResolver({}, { WTD_API_TOKEN: 'demo' }),
    concurrency: 2,
    retry: false,
    ...(extra.signal ? { signal: extra.signal } : {}),
    ...(extra.onEvent ? { onEvent: extra.onEvent } : {}),
  });
}

/**
 * A sink that hands every write to `inner` and calls `after` once the write is acknowledged.
 * One write at a time unless `maxPendingWrites` says otherwise.
 */
function observed(
  inner: Sink,
  hooks: { before?: () => Promise<void>; after?: () => void; maxPendingWrites?: number },
): Sink {
  return {
    maxPendingWrites: hooks.maxPendingWrites ?? 1,
    write: async (page) => {
      await hooks.before?.();
      const receipt = await inner.write(page);
      hooks.after?.();
      return receipt;
    },
    close: () => inner.close(),
    abort: (reason) => inner.abort(reason),
    ...(inner.checkpoint ? { checkpoint: inner.checkpoint } : {}),
  };
}

function listingsOf(read: readonly CommittedMessage[]): Listing[] {
  return read.map((message) => JSON.parse(message.value) as Listing).sort(bySymbol);
}

describe('KafkaSink with the World Trading Data connector', () => {
  it('stores every listing once, keyed by its symbol, with its provenance in headers', async () => {
    const { url } = await wtdEmulator();
    const sink = kafkaSink(topicFor('once'));
    const summary = await run(sink, url);
    expect(summary).toMatchObject({
      pages: 9,
      records: 431,
      pagesFetched: 9,
      location: `kafka://${brokers}/${sink.topic}`,
    });

    const read = await readCommitted(sink.topic);
    expect(read).toHaveLength(expected.length);
    expect(listingsOf(read)).toEqual(expected);
    expect(read.every((message) => message.key === (JSON.parse(message.value) as Listing).symbol)).toBe(true);
    // Pages after the first carry their paginator's state, so their keys are not computed
    // here: each page's records share one key, and the nine pages have nine.
    const keysByPage = new Map<number, Set<string>>();
    for (const message of read) {
      const page = Number(message.headers._page);
      const symbol = (JSON.parse(message.value) as Listing).symbol;
      expect(expected.slice((page - 1) * 50, page * 50).some((listing) => listing.symbol === symbol)).toBe(
        true,
      );
      expect(message.headers).toEqual({
        _task_key: expect.stringMatching(/^[0-9a-f]{64}$/),
        _page: String(page),
        _fetched_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        _connector: 'wtd',
      });
      keysByPage.set(page, (keysByPage.get(page) ?? new Set()).add(message.headers._task_key ?? ''));
    }
    expect([...keysByPage.values()].map((keys) => keys.size)).toEqual(Array(9).fill(1));
    expect(new Set([...keysByPage.values()].flatMap((keys) => [...keys])).size).toBe(9);
    expect(keysByPage.get(1)).toEqual(new Set([taskKey(stockSearchTask({ searchTerm: 'new york' }))]));
  });

  it('refreshes on a second run: a finished run is never resumed, so the next fetches every page under a new run', async () => {
    const served = await wtdEmulator();
    const first = kafkaSink(topicFor('twice'));
    const firstRun = await run(first, served.url);
    served.resetStats();

    const second = kafkaSink(first.topic);
    const summary = await run(second, served.url);
    expect(summary).toMatchObject({ pages: 9, pagesFetched: 9, pagesSkipped: 0 });
    expect(served.stats().pages).toHaveLength(9);
    expect(summary.runId).not.toBe(firstRun.runId);
    const runs = await kafkaSink(first.topic).runs.list();
    expect(runs.map((info) => [info.id, info.state, info.pages])).toEqual([
      [summary.runId, 'finished', 9],
      [firstRun.runId, 'finished', 9],
    ]);
    // Both runs' messages: a compacted topic keeps the second's, one per key.
    const read = listingsOf(await readCommitted(first.topic));
    expect(read).toEqual([...expected, ...expected].sort(bySymbol));
  });

  it('keeps its runs in the checkpoint topic: --fresh starts a new one, --resume RUN goes on with a named one, reset forgets them', async () => {
    const served = await wtdEmulator();
    const topic = topicFor('runs');
    const interrupt = new AbortController();
    let acknowledged = 0;
    const first = kafkaSink(topic);
    const interrupted = observed(first, {
      after: () => {
        acknowledged += 1;
        if (acknowledged === 2) interrupt.abort(new Error('interrupted after 2 pages'));
      },
    });
    await expect(run(interrupted, served.url, { signal: interrupt.signal })).rejects.toThrow('after 2 pages');
    const [stopped] = await kafkaSink(topic).runs.list();
    expect(stopped).toMatchObject({ state: 'interrupted', disposition: 'merge', job: 'default' });
    expect(stopped?.pages).toBeGreaterThanOrEqual(2);

    const fresh = kafkaSink(topic);
    const opened = await fresh.runs.open({ choice: { kind: 'fresh' } });
    expect(opened).toMatchObject({ resumed: false, pagesStored: 0 });
    await fresh.abort();
    expect((await kafkaSink(topic).runs.list()).map((info) => [info.id, info.state])).toEqual([
      [opened.run.id, 'interrupted'],
      [stopped?.id, 'interrupted'],
    ]);

    served.resetStats();
    const named = kafkaSink(topic);
    const resumed = await named.runs.open({ choice: { kind: 'resume', id: stopped?.id as string } });
    expect(resumed).toMatchObject({ resumed: true, pagesStored: stopped?.pages });
    const summary = await run(named, served.url);
    expect(summary.pagesSkipped).toBe(stopped?.pages);
    expect(served.stats().pages).toHaveLength(9 - (stopped?.pages ?? 0));
    const after = await kafkaSink(topic).runs.list();
    expect(after.map((info) => [info.id, info.state])).toEqual([
      [opened.run.id, 'interrupted'],
      [stopped?.id, 'finished'],
    ]);
    await expect(
      kafkaSink(topic).runs.open({ choice: { kind: 'resume', id: stopped?.id as string } }),
    ).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
    });

    expect(await kafkaSink(topic).runs.reset()).toBe(2);
    expect(await kafkaSink(topic).runs.list()).toEqual([]);
    const afterReset = kafkaSink(topic);
    const seedKey = taskKey(stockSearchTask({ searchTerm: 'new york' }));
    expect(await afterReset.checkpoint.completed([seedKey])).toEqual(new Map());
  });

  it('records a deferred run with its resumeAt; a run of the job before then stops at once, asking nothing', async () => {
    const served = await wtdEmulator();
    const topic = topicFor('deferred');
    const first = kafkaSink(topic);
    const opened = await first.runs.open();
    const resumeAt = Date.now() + 3_600_000;
    await first.abort(new RunDeferredError({ resumeAt, waitMs: 3_600_000 }));
    expect(await kafkaSink(topic).runs.list()).toMatchObject([
      { id: opened.run.id, state: 'interrupted', resumeAt },
    ]);

    const early = run(kafkaSink(topic), served.url);
    await expect(early).rejects.toMatchObject({ name: 'RunDeferredError', resumeAt });
    expect(served.stats().requests).toBe(0);
    expect((await kafkaSink(topic).runs.list())[0]).toMatchObject({
      id: opened.run.id,
      state: 'interrupted',
      resumeAt,
    });
  });

  it('resumes an interrupted run after its stored pages, and consumers still see each listing once', async () => {
    const served = await wtdEmulator();
    const first = kafkaSink(topicFor('resume'));
    const interrupt = new AbortController();
    let acknowledged = 0;
    const interrupted = observed(first, {
      after: () => {
        acknowledged += 1;
        if (acknowledged === 3) interrupt.abort(new Error('interrupted after 3 pages'));
      },
    });
    await expect(run(interrupted, served.url, { signal: interrupt.signal })).rejects.toThrow(
      'interrupted after 3 pages',
    );
    const storedBefore = new Set(
      listingsOf(await readCommitted(first.topic)).map((listing) => listing.symbol),
    );
    expect(storedBefore.size).toBeGreaterThanOrEqual(150);
    expect(storedBefore.size).toBeLessThan(431);
    served.resetStats();

    const second = kafkaSink(first.topic);
    const summary = await run(second, served.url);
    expect(summary.pagesSkipped).toBeGreaterThanOrEqual(3);
    expect(summary.pagesSkipped + summary.pagesFetched).toBe(9);
    expect(served.stats().pages.every((page) => page.served === 1)).toBe(true);
    expect(served.stats().pages).toHaveLength(summary.pagesFetched);
    const read = await readCommitted(first.topic);
    expect(read).toHaveLength(expected.length);
    expect(listingsOf(read)).toEqual(expected);
  });

  it('slows the crawl to the sink: no more than concurrency + buffer pages fetched and unacknowledged', async () => {
    const { url } = await wtdEmulator();
    const bound = 2 + 4; // runConnector: concurrency 2, buffer 2 × concurrency
    let started = 0;
    let acknowledged = 0;
    let most = 0;
    const firstWrite = (async () => {
      // Hold the first write until the crawl has filled its bound, then a little longer: a
      // crawl that ignored backpressure would start more tasks meanwhile.
      const deadline = Date.now() + 20_000;
      while (started < bound && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 300));
    })();
    const sink = kafkaSink(topicFor('slow'));
    const slow = observed(sink, {
      maxPendingWrites: sink.maxPendingWrites,
      before: async () => {
        await firstWrite;
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
      after: () => {
        acknowledged += 1;
      },
    });
    const startedAt = performance.now();
    const summary = await run(slow, url, {
      onEvent: (event) => {
        if (event.type !== 'task-started') return;
        started += 1;
        most = Math.max(most, started - acknowledged);
      },
    });
    expect(summary.pagesFetched).toBe(9);
    expect(most).toBe(bound);
    // Writes overlap (maxPendingWrites 16), each one slow.
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(300 + 50);
    expect(listingsOf(await readCommitted(sink.topic))).toEqual(expected);
  });

  it('resumes an unfinished run without transactions too (exactlyOnce: false), and refreshes a finished one', async () => {
    const served = await wtdEmulator();
    const first = kafkaSink(topicFor('no-tx'), { exactlyOnce: false });
    expect(first.transactionalId).toBeUndefined();
    const interrupt = new AbortController();
    const interrupted = observed(first, { after: () => interrupt.abort(new Error('interrupted')) });
    await expect(run(interrupted, served.url, { signal: interrupt.signal })).rejects.toThrow('interrupted');
    const resumed = await run(kafkaSink(first.topic, { exactlyOnce: false }), served.url);
    expect(resumed.pagesSkipped).toBeGreaterThanOrEqual(1);
    expect(resumed.pagesSkipped + resumed.pagesFetched).toBe(9);
    expect(listingsOf(await readCommitted(first.topic))).toEqual(expected);
    const refreshed = await run(kafkaSink(first.topic, { exactlyOnce: false }), served.url);
    expect(refreshed).toMatchObject({ pagesFetched: 9, pagesSkipped: 0 });
  });
});

/** Page `page` of the "new york" search, as the crawl hands it to a sink. */
function wtdPage(
  page: number,
  data: readonly Listing[] = expected.slice((page - 1) * 50, page * 50),
): SinkPage<Listing> {
  const task: Task = stockSearchTask({ searchTerm: 'new york', page });
  return { key: taskKey(task), task, data, nextTasks: [], fetchedAt: Date.now() };
}

/** The commits of transactional id `id`, as the Kafka client reports them on its diagnostics channel. */
function watchCommits(id: string, onCommit: (phase: 'start' | 'end') => void): () => void {
  type Context = { operation?: string; transaction?: { id?: string } };
  const channel = tracingChannel<object, Context>('plt:kafka:producer:transactions');
  const mine = (context: Context) => context.operation === 'commit' && context.transaction?.id === id;
  const ignore = () => {};
  const handlers = {
    start: (context: Context) => {
      if (mine(context)) onCommit('start');
    },
    asyncStart: (context: Context) => {
      if (mine(context)) onCommit('end');
    },
    end: ignore,
    asyncEnd: ignore,
    error: ignore,
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}

describe('KafkaSink group commit', () => {
  it('stores pages written at once in one transaction, resolving none before its commit', async () => {
    const sink = kafkaSink(topicFor('burst'));
    await sink.checkpoint.completed([]);
    const burst = [1, 2, 3, 4, 5, 6, 7, 8].map((page) => wtdPage(page));
    const events: string[] = [];
    const stop = watchCommits(sink.transactionalId as string, (phase) => events.push(`commit ${phase}`));
    try {
      await Promise.all(
        burst.map(async (page, index) => {
          await sink.write(page);
          events.push(`resolved ${index + 1}`);
        }),
      );
    } finally {
      stop();
    }

    expect(events).toEqual([
      'commit start',
      'commit end',
      ...burst.map((_, index) => `resolved ${index + 1}`),
    ]);
    // The checkpoint topic holds the run's record and its commit marker, then the 8 checkpoints
    // and one commit marker: one transaction.
    expect(await endOffset(sink.checkpointTopic)).toBe(2n + 9n);
    expect(listingsOf(await readCommitted(sink.topic))).toEqual(expected.slice(0, 400).sort(bySymbol));
    const stored = await kafkaSink(sink.topic).checkpoint.completed(burst.map((page) => page.key));
    expect([...stored.keys()]).toEqual(burst.map((page) => page.key));
  });

  it('puts the pages that arrive while a transaction commits together into the next one', async () => {
    const sink = kafkaSink(topicFor('group'));
    await sink.checkpoint.completed([]);
    const later: Promise<unknown>[] = [];
    let commits = 0;
    const stop = watchCommits(sink.transactionalId as string, (phase) => {
      if (phase !== 'start') return;
      commits += 1;
      // While the first transaction commits, five more pages arrive.
      if (commits === 1) later.push(...[2, 3, 4, 5, 6].map((page) => sink.write(wtdPage(page))));
    });
    try {
      await sink.write(wtdPage(1));
      await Promise.all(later);
    } finally {
      stop();
    }

    expect(later).toHaveLength(5);
    expect(commits).toBe(2);
    expect(await endOffset(sink.checkpointTopic)).toBe(2n + 6n + 2n);
    expect(listingsOf(await readCommitted(sink.topic))).toEqual(expected.slice(0, 300).sort(bySymbol));
  });

  it('fails only the pages it cannot send, before they join a batch: a record too large, one not JSON', async () => {
    const sink = kafkaSink(topicFor('refused'));
    await sink.checkpoint.completed([]);
    const huge = { ...(expected[150] as Listing), name: 'x'.repeat(2_000_000) };
    const burst = [
      wtdPage(1),
      wtdPage(2),
      wtdPage(4, [huge, ...expected.slice(151, 200)]),
      wtdPage(5, [{ ...(expected[200] as Listing), price: 10n as unknown as string }]),
      wtdPage(6),
    ];
    let commits = 0;
    const stop = watchCommits(sink.transactionalId as string, (phase) => {
      if (phase === 'start') commits += 1;
    });

    const outcomes = await Promise.allSettled(burst.map((page) => sink.write(page))).finally(stop);

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    const reason = (index: number) => (outcomes[index] as PromiseRejectedResult).reason;
    expect(reason(2)).toBeInstanceOf(SinkWriteError);
    expect(reason(2)).toMatchObject({ code: 'RECORD_TOO_LARGE', taskKey: wtdPage(4).key });
    expect(reason(3)).toMatchObject({ code: 'RECORD_NOT_SERIALISABLE', taskKey: wtdPage(5).key });
    expect(commits).toBe(1);
    expect(listingsOf(await readCommitted(sink.topic))).toEqual(
      [...expected.slice(0, 100), ...expected.slice(250, 300)].sort(bySymbol),
    );
    const stored = await kafkaSink(sink.topic).checkpoint.completed(burst.map((page) => page.key));
    expect([...stored.keys()].sort()).toEqual([wtdPage(1).key, wtdPage(2).key, wtdPage(6).key].sort());
  });
});
