import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CrawlPage, crawl, type Handler, type Task, taskKey } from '@capital/core';
import { lastValueFrom, map, of, Subject, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileSink } from './file/file-sink.js';
import type { PageReceipt, Sink, SinkPage, SinkSummary } from './sink.js';
import { SinkWriteError } from './sink-error.js';
import { writeTo } from './write-to.js';

const fetchedAt = Date.parse('2024-03-01T12:00:00.000Z');

function sinkPage<D>(page: number, data: readonly D[]): SinkPage<D> {
  const task: Task = { type: 'test.list', page };
  return { key: taskKey(task), task, data, nextTasks: [], fetchedAt };
}

async function readLines(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  return text === '' ? [] : text.trimEnd().split('\n');
}

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'write-to-test-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** A promise and the functions that settle it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((done, fail) => {
    resolve = done;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Lets every pending microtask and I/O-free continuation run. */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A sink whose writes wait until the test releases them, one by one, before reaching the inner
 * sink: the slowest disk there is. It takes `maxPendingWrites` writes at once.
 */
class GatedSink<D> implements Sink<D> {
  readonly maxPendingWrites: number | undefined;
  readonly #inner: Sink<D>;
  readonly #calls: ReturnType<typeof deferred<void>>[] = [];
  readonly #gates: ReturnType<typeof deferred<void>>[] = [];
  readonly #released = new Set<number>();
  writes = 0;
  /** The most writes called and not yet resolved at any moment. */
  mostInFlight = 0;
  #inFlight = 0;

  constructor(inner: Sink<D>, maxPendingWrites?: number) {
    this.#inner = inner;
    this.maxPendingWrites = maxPendingWrites;
  }

  async write(page: SinkPage<D>): Promise<PageReceipt> {
    const index = this.writes;
    this.writes += 1;
    this.#inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.#inFlight);
    this.#slot(this.#calls, index).resolve();
    await this.#slot(this.#gates, index).promise;
    try {
      return await this.#inner.write(page);
    } finally {
      this.#inFlight -= 1;
    }
  }

  /** The writes called and not yet let through, oldest first. */
  held(): number[] {
    return Array.from({ length: this.writes }, (_, index) => index).filter(
      (index) => !this.#released.has(index),
    );
  }

  /** Resolves once write number `index` (from 0) has been called. */
  called(index: number): Promise<void> {
    return this.#slot(this.#calls, index).promise;
  }

  /** Lets write number `index` through. */
  release(index: number): void {
    this.#released.add(index);
    this.#slot(this.#gates, index).resolve();
  }

  close(): Promise<SinkSummary> {
    return this.#inner.close();
  }

  abort(reason?: unknown): Promise<void> {
    return this.#inner.abort(reason);
  }

  #slot(list: ReturnType<typeof deferred<void>>[], index: number): ReturnType<typeof deferred<void>> {
    list[index] ??= deferred<void>();
    return list[index];
  }
}

type FakePage = {
  readonly key: string;
  readonly task: Task;
  readonly data: string[];
  ack: () => void;
} & Omit<CrawlPage<Task, string>, 'key' | 'task' | 'data' | 'ack'>;

function fakePage(page: number): FakePage {
  const task = { type: 'test.list', page };
  return {
    key: taskKey(task),
    task,
    data: [`r${page}`],
    nextTasks: [],
    depth: 0,
    attempts: 1,
    fetchedAt,
    ack: vi.fn(),
  };
}

function manualSink(maxPendingWrites?: number) {
  const writes: { page: SinkPage<string>; done: ReturnType<typeof deferred<PageReceipt>> }[] = [];
  const sink: Sink<string> = {
    ...(maxPendingWrites === undefined ? {} : { maxPendingWrites }),
    write: (page) => {
      const done = deferred<PageReceipt>();
      writes.push({ page, done });
      return done.promise;
    },
    close: async () => ({ pages: 0, records: 0, location: 'memory' }),
    abort: async () => {},
  };
  return { sink, writes };
}

describe('writeTo', () => {
  it('acknowledges a page only once its write has resolved', async () => {
    const pages = new Subject<FakePage>();
    const { sink, writes } = manualSink();
    const first = fakePage(1);
    pages.pipe(writeTo(sink)).subscribe();

    pages.next(first);
    await drain();
    expect(writes).toHaveLength(1);
    expect(first.ack).not.toHaveBeenCalled();

    writes[0]?.done.resolve({ key: first.key, records: 1 });
    await drain();
    expect(first.ack).toHaveBeenCalledTimes(1);
  });

  it('writes one page at a time, in the order the pages came', async () => {
    const pages = new Subject<FakePage>();
    const { sink, writes } = manualSink();
    pages.pipe(writeTo(sink)).subscribe();

    pages.next(fakePage(1));
    pages.next(fakePage(2));
    await drain();
    expect(writes.map((write) => write.page.task.page)).toEqual([1]);

    writes[0]?.done.resolve({ key: 'k1', records: 1 });
    await drain();
    expect(writes.map((write) => write.page.task.page)).toEqual([1, 2]);
  });

  it('hands the sink the page without its acknowledgement and emits the receipts', async () => {
    const { sink, writes } = manualSink();
    const page = fakePage(1);

    const receipts = lastValueFrom(of(page).pipe(writeTo(sink), toArray()));
    await drain();
    writes[0]?.done.resolve({ key: page.key, records: 1 });

    expect(await receipts).toEqual([{ key: page.key, records: 1 }]);
    expect(writes[0]?.page).toEqual({
      key: page.key,
      task: page.task,
      data: page.data,
      nextTasks: [],
      fetchedAt,
    });
  });

  it('fails with the write error and leaves the page unacknowledged', async () => {
    const failure = new SinkWriteError(sinkPage(1, []), 'disk full');
    const sink: Sink<string> = {
      write: async () => {
        throw failure;
      },
      close: async () => ({ pages: 0, records: 0, location: 'memory' }),
      abort: async () => {},
    };
    const page = fakePage(1);

    await expect(lastValueFrom(of(page).pipe(writeTo(sink)))).rejects.toBe(failure);
    expect(page.ack).not.toHaveBeenCalled();
  });

  it('keeps the pages fetched and not yet acknowledged within concurrency + buffer behind a slow sink', async () => {
    const concurrency = 2;
    const buffer = 3;
    const children = 30;
    type PageTask = { type: 'test.fan'; page: number };
    let started = 0;
    let acknowledged = 0;
    let mostAhead = 0;
    const handler: Handler<PageTask, { id: string }> = async (task) => {
      started += 1;
      mostAhead = Math.max(mostAhead, started - acknowledged);
      const nextTasks =
        task.page === 0
          ? Array.from({ length: children }, (_, index) => ({ type: 'test.fan' as const, page: index + 1 }))
          : [];
      return { task, data: [{ id: `${task.page}-a` }, { id: `${task.page}-b` }], nextTasks };
    };
    const path = join(folder, 'out.ndjson');
    const sink = new GatedSink(new FileSink<{ id: string }>({ path }));

    const done = lastValueFrom(
      of<PageTask>({ type: 'test.fan', page: 0 }).pipe(
        crawl(handler, { concurrency, buffer, retry: false }),
        map((page) => ({
          ...page,
          ack: () => {
            acknowledged += 1;
            page.ack();
          },
        })),
        writeTo(sink),
        toArray(),
      ),
    );
    for (let index = 0; index <= children; index += 1) {
      await sink.called(index);
      const ahead = Math.min(concurrency + buffer, children + 1 - index);
      // On a busy machine the crawl yields to the event loop now and then (a turn each): wait
      // the turns it takes to catch up. `mostAhead` below says it never went further.
      for (let turn = 0; turn < 50 && started - acknowledged !== ahead; turn += 1) await drain();
      // The sink holds page `index`: the crawl has run as far ahead as the bound lets it, no further.
      expect(started - acknowledged).toBe(ahead);
      sink.release(index);
    }
    const receipts = await done;
    await sink.close();

    expect(mostAhead).toBe(concurrency + buffer);
    expect(receipts).toHaveLength(children + 1);
    expect(acknowledged).toBe(children + 1);
    expect(await readLines(path)).toHaveLength(2 * (children + 1));
  });

  it('keeps up to maxPendingWrites writes in flight, acknowledging each page as its own write resolves', async () => {
    const pages = new Subject<FakePage>();
    const { sink, writes } = manualSink(3);
    const all = [1, 2, 3, 4, 5].map(fakePage);
    const receipts: PageReceipt[] = [];
    pages.pipe(writeTo(sink)).subscribe((receipt) => receipts.push(receipt));

    for (const page of all) pages.next(page);
    await drain();
    expect(writes.map((write) => write.page.task.page)).toEqual([1, 2, 3]);

    writes[1]?.done.resolve({ key: 'k2', records: 1 });
    await drain();
    expect(all.map((page) => vi.mocked(page.ack).mock.calls.length)).toEqual([0, 1, 0, 0, 0]);
    expect(writes.map((write) => write.page.task.page)).toEqual([1, 2, 3, 4]);

    writes[3]?.done.resolve({ key: 'k4', records: 1 });
    writes[0]?.done.resolve({ key: 'k1', records: 1 });
    await drain();
    expect(all.map((page) => vi.mocked(page.ack).mock.calls.length)).toEqual([1, 1, 0, 1, 0]);
    expect(receipts.map((receipt) => receipt.key)).toEqual(['k2', 'k4', 'k1']);
    expect(writes.map((write) => write.page.task.page)).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([0, 1.5, Number.NaN, -1])('refuses a sink whose maxPendingWrites is %s', (maxPendingWrites) => {
    expect(() => writeTo(manualSink(maxPendingWrites).sink)).toThrow(
      expect.objectContaining({ name: 'InvalidOptionError', option: 'maxPendingWrites' }),
    );
  });

  it('fails with the first write error while other writes are in flight, leaving their pages unacknowledged', async () => {
    const pages = new Subject<FakePage>();
    const { sink, writes } = manualSink(4);
    const all = [1, 2, 3].map(fakePage);
    const done = lastValueFrom(pages.pipe(writeTo(sink), toArray()));
    for (const page of all) pages.next(page);
    await drain();
    const failure = new SinkWriteError(sinkPage(2, []), 'disk full');

    writes[1]?.done.reject(failure);
    writes[0]?.done.resolve({ key: 'k1', records: 1 });

    await expect(done).rejects.toBe(failure);
    expect(all.map((page) => vi.mocked(page.ack).mock.calls.length)).toEqual([0, 0, 0]);
  });

  it('keeps the pages fetched and not yet acknowledged within concurrency + buffer with writes in flight', async () => {
    const concurrency = 2;
    const buffer = 3;
    const children = 30;
    type PageTask = { type: 'test.fan'; page: number };
    let started = 0;
    let acknowledged = 0;
    let mostAhead = 0;
    const handler: Handler<PageTask, { id: string }> = async (task) => {
      started += 1;
      mostAhead = Math.max(mostAhead, started - acknowledged);
      const nextTasks =
        task.page === 0
          ? Array.from({ length: children }, (_, index) => ({ type: 'test.fan' as const, page: index + 1 }))
          : [];
      return { task, data: [{ id: `${task.page}-a` }], nextTasks };
    };
    const memory: Sink<{ id: string }> = {
      write: async (page) => ({ key: page.key, records: page.data.length }),
      close: async () => ({ pages: 0, records: 0, location: 'memory' }),
      abort: async () => {},
    };
    const sink = new GatedSink(memory, 4);

    const done = lastValueFrom(
      of<PageTask>({ type: 'test.fan', page: 0 }).pipe(
        crawl(handler, { concurrency, buffer, retry: false }),
        map((page) => ({
          ...page,
          ack: () => {
            acknowledged += 1;
            page.ack();
          },
        })),
        writeTo(sink),
        toArray(),
      ),
    );
    // Let the writes through newest first, the crawl filling up in between.
    for (let released = 0; released <= children; released += 1) {
      await sink.called(released);
      await drain();
      await drain();
      expect(started - acknowledged).toBeLessThanOrEqual(concurrency + buffer);
      const held = sink.held();
      sink.release(held.at(-1) as number);
    }
    const receipts = await done;

    expect(mostAhead).toBe(concurrency + buffer);
    expect(sink.mostInFlight).toBe(4);
    expect(receipts).toHaveLength(children + 1);
    expect(acknowledged).toBe(children + 1);
  });

  it('tells the sink which page is the crawl’s last, and only that one', async () => {
    const pages: SinkPage[] = [];
    const sink: Sink = {
      write: async (page) => {
        pages.push(page);
        return { key: page.key, records: page.data.length };
      },
      close: async () => ({ pages: 0, records: 0, location: '' }),
      abort: async () => {},
      maxPendingWrites: 4,
    };
    const handler: Handler<Task, number> = async (task) => ({
      task,
      data: [1],
      nextTasks: task.page === 0 ? [1, 2, 3].map((page) => ({ type: 'test.list', page })) : [],
    });

    await lastValueFrom(of<Task>({ type: 'test.list', page: 0 }).pipe(crawl(handler), writeTo(sink)));

    expect(pages).toHaveLength(4);
    expect(pages.map((page) => page.last === true)).toEqual([false, false, false, true]);
  });
});
