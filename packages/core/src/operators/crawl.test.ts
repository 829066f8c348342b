import { EMPTY, firstValueFrom, lastValueFrom, type Observable, of, ReplaySubject, tap, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { Checkpoint } from '../checkpoint.js';
import {
  HttpStatusError,
  InvalidOptionError,
  InvalidTaskError,
  InvalidTaskResultError,
  MaxDepthExceededError,
  NonErrorThrownError,
  TaskCycleError,
  TaskFailedError,
  TransientError,
} from '../errors.js';
import { MemoryLimiter } from '../limit/memory-limiter.js';
import type { Handler, Task, TaskResult } from '../task.js';
import { taskKey } from '../task.js';
import { crawl } from './crawl.js';
import type { CrawlOptions, CrawlPage } from './crawl-config.js';
import type { CrawlEvent } from './crawl-event.js';

type Step = { readonly id: string };

const step = (id: string): Step => ({ id });
const keyOf = (id: string): string => taskKey(step(id));

/** A handler over a graph: task `id` has one record, `id`, and the next tasks `graph[id]`. */
function walk(
  graph: Readonly<Record<string, readonly string[]>>,
): (task: Step) => Promise<TaskResult<Step, string>> {
  return async (task) => ({ task, data: [task.id], nextTasks: (graph[task.id] ?? []).map(step) });
}

/** Runs a crawl to the end, acknowledging every page as it arrives. */
function crawlAll<T extends Task, D>(
  seeds: Observable<T>,
  handler: Handler<T, D>,
  options: CrawlOptions<T> = {},
): Promise<CrawlPage<T, D>[]> {
  return lastValueFrom(
    seeds.pipe(
      crawl(handler, { retry: false, ...options }),
      tap((page) => page.ack()),
      toArray(),
    ),
  );
}

/** The error a crawl ends with. */
async function failureOf<T extends Task, D>(
  seeds: Observable<T>,
  handler: Handler<T, D>,
  options: CrawlOptions<T> = {},
): Promise<unknown> {
  return crawlAll(seeds, handler, options).then(
    () => {
      throw new Error('expected the crawl to fail');
    },
    (error: unknown) => error,
  );
}

const ids = (pages: readonly CrawlPage<Step, string>[]): string[] => pages.map((page) => page.task.id);

describe('crawl', () => {
  it('emits a page for every task reachable from the seeds, breadth-first', async () => {
    const pages = await crawlAll(of(step('a')), walk({ a: ['b', 'c'], b: ['d'], c: ['e'] }), {
      concurrency: 1,
    });

    expect(ids(pages)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('completes at once without seeds', async () => {
    const handler = vi.fn(walk({}));

    await expect(crawlAll(EMPTY, handler)).resolves.toEqual([]);
    expect(handler).not.toHaveBeenCalled();
  });

  it('tells each page its key, depth and attempts', async () => {
    const pages = await crawlAll(of(step('a')), walk({ a: ['b'] }));

    expect(pages.map(({ key, depth, attempts }) => ({ key, depth, attempts }))).toEqual([
      { key: keyOf('a'), depth: 0, attempts: 1 },
      { key: keyOf('b'), depth: 1, attempts: 1 },
    ]);
  });

  it('gives the handler the task’s key and attempt number in its context', async () => {
    const handler = vi.fn(walk({}));

    await crawlAll(of(step('a')), handler);

    expect(handler).toHaveBeenCalledWith(
      step('a'),
      expect.objectContaining({ taskKey: keyOf('a'), attempt: 1, signal: expect.any(AbortSignal) }),
    );
  });

  it('puts the task the crawl ran in the page, whatever the handler put there', async () => {
    const handler: Handler<Step, string> = async () => ({ task: step('other'), data: [], nextTasks: [] });

    const [page] = await crawlAll(of(step('a')), handler);

    expect(page?.task).toEqual(step('a'));
  });

  it('delivers the last page to a consumer that acknowledges it inside tap', async () => {
    const pages = await crawlAll(of(step('a')), walk({ a: ['b'], b: ['c'] }), { concurrency: 1, buffer: 0 });

    expect(ids(pages)).toEqual(['a', 'b', 'c']);
  });
});

describe('crawl guards', () => {
  it('fails with a TaskCycleError when a task returns itself as a next task', async () => {
    const error = await failureOf(of(step('a')), walk({ a: ['a'] }));

    expect(error).toBeInstanceOf(TaskCycleError);
    expect(error).toMatchObject({ taskKey: keyOf('a'), nextTaskKey: keyOf('a') });
  });

  it('fails with a TaskCycleError when a task returns one of its ancestors', async () => {
    const error = await failureOf(of(step('a')), walk({ a: ['b'], b: ['c'], c: ['a'] }));

    expect(error).toBeInstanceOf(TaskCycleError);
    expect(error).toMatchObject({ taskKey: keyOf('c'), nextTaskKey: keyOf('a') });
  });

  it('drops, without failing, a next task that another branch returned already', async () => {
    const handler = vi.fn(walk({ a: ['b', 'c'], b: ['d'], c: ['d'] }));

    const pages = await crawlAll(of(step('a')), handler);

    expect(ids(pages)).toEqual(['a', 'b', 'c', 'd']);
    expect(handler).toHaveBeenCalledTimes(4);
  });

  it('drops a seed that came before', async () => {
    const pages = await crawlAll(of(step('a'), step('a')), walk({}));

    expect(ids(pages)).toEqual(['a']);
  });

  it('follows a chain exactly maxDepth next tasks long', async () => {
    const pages = await crawlAll(of(step('a')), walk({ a: ['b'], b: ['c'] }), { maxDepth: 2 });

    expect(ids(pages)).toEqual(['a', 'b', 'c']);
  });

  it('fails with a MaxDepthExceededError on a chain longer than maxDepth', async () => {
    const error = await failureOf(of(step('a')), walk({ a: ['b'], b: ['c'], c: ['d'] }), { maxDepth: 2 });

    expect(error).toBeInstanceOf(MaxDepthExceededError);
    expect(error).toMatchObject({ taskKey: keyOf('d'), maxDepth: 2 });
  });
});

describe('crawl options', () => {
  it.each([
    ['concurrency', { concurrency: 0 }],
    ['concurrency', { concurrency: 1.5 }],
    ['concurrency', { concurrency: -1 }],
    ['concurrency', { concurrency: Number.NaN }],
    ['buffer', { buffer: -1 }],
    ['buffer', { buffer: 0.5 }],
    ['bufferRecords', { bufferRecords: 0 }],
    ['bufferRecords', { bufferRecords: 2.5 }],
    ['bufferBytes', { bufferBytes: 0 }],
    ['bufferBytes', { bufferBytes: Number.NaN }],
    ['maxDepth', { maxDepth: -1 }],
    ['retry.retries', { retry: { retries: -1 } }],
  ])('rejects an invalid %s (%j) when crawl is called', (option, options) => {
    const call = () => crawl(walk({}), options);

    expect(call).toThrow(InvalidOptionError);
    expect(call).toThrow(`Invalid option ${option}:`);
  });

  it('accepts buffer 0 and concurrency 1, and crawls with them one task at a time', async () => {
    let running = 0;
    let most = 0;
    const graph = walk({ a: ['b', 'c'], b: ['d'] });
    const handler: Handler<Step, string> = async (task) => {
      most = Math.max(most, ++running);
      await Promise.resolve();
      running -= 1;
      return graph(task);
    };

    const pages = await crawlAll(of(step('a')), handler, { concurrency: 1, buffer: 0 });

    expect(ids(pages)).toEqual(['a', 'b', 'c', 'd']);
    expect(most).toBe(1);
  });
});

describe('crawl with bad input', () => {
  it('fails with an InvalidTaskError for a seed that is not JSON', async () => {
    const handler = vi.fn(walk({}));

    const error = await failureOf(of({ id: 'a', since: new Date(0) } as unknown as Step), handler);

    expect(error).toBeInstanceOf(InvalidTaskError);
    expect(handler).not.toHaveBeenCalled();
  });

  it('fails with an InvalidTaskResultError naming the parent for a next task that is not JSON', async () => {
    const handler: Handler<Step, string> = async (task) => ({
      task,
      data: [],
      nextTasks: [step('b'), { id: 'c', at: () => 1 } as unknown as Step],
    });

    const error = await failureOf(of(step('a')), handler);

    expect(error).toBeInstanceOf(InvalidTaskResultError);
    expect(error).toMatchObject({ taskKey: keyOf('a') });
    expect((error as Error).message).toContain(`Task ${keyOf('a').slice(0, 12)}`);
    expect((error as Error).message).toContain('nextTasks[1]: Task is not JSON-serialisable: $.at');
  });

  it('fails with a TaskFailedError caused by a NonErrorThrownError when the handler throws a string', async () => {
    const handler: Handler<Step, string> = async () => {
      throw 'boom';
    };

    const error = await failureOf(of(step('a')), handler, { retry: { retries: 3, minTimeoutMs: 0 } });

    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).cause).toBeInstanceOf(NonErrorThrownError);
    expect((error as TaskFailedError).cause).toMatchObject({ value: 'boom' });
    expect(error).toMatchObject({ attempts: 1 });
  });

  it('fails with an InvalidTaskResultError when the handler returns no data array', async () => {
    const handler = (async (task: Step) => ({ task, nextTasks: [] })) as unknown as Handler<Step, string>;

    const error = await failureOf(of(step('a')), handler);

    expect(error).toBeInstanceOf(InvalidTaskResultError);
    expect((error as Error).message).toContain('`data` is not an array.');
  });

  it('fails with an InvalidTaskResultError when the handler’s Observable completes empty', async () => {
    const error = await failureOf(of(step('a')), () => EMPTY);

    expect(error).toBeInstanceOf(InvalidTaskResultError);
    expect(error).toMatchObject({ taskKey: keyOf('a') });
  });
});

describe('crawl failures', () => {
  const task = { type: 'wtd.stock_search', page: 3, credentials: 'env:WTD_API_TOKEN' };

  it('fails with a TaskFailedError naming the task’s key and page, and not its credentials', async () => {
    const handler: Handler<typeof task, string> = async () => {
      throw new HttpStatusError(404, 'Not Found');
    };

    const error = await failureOf(of(task), handler, { retry: { retries: 3, minTimeoutMs: 0 } });

    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as Error).message).toBe(
      `Task ${taskKey(task).slice(0, 12)} (wtd.stock_search page 3) failed after 1 attempt: HTTP 404: Not Found`,
    );
    expect((error as Error).message).not.toContain('WTD_API_TOKEN');
  });

  it('retries a transient failure and counts the attempts in the page', async () => {
    let calls = 0;
    const handler: Handler<Step, string> = async (task) => {
      calls += 1;
      if (calls < 3) throw new TransientError('busy');
      return { task, data: [task.id], nextTasks: [] };
    };

    const pages = await crawlAll(of(step('a')), handler, { retry: { retries: 5, minTimeoutMs: 0 } });

    expect(pages.map((page) => page.attempts)).toEqual([3]);
  });

  it('fails after the last retry with the attempts counted', async () => {
    const busy = new TransientError('busy');
    const handler: Handler<Step, string> = async () => {
      throw busy;
    };

    const error = await failureOf(of(step('a')), handler, { retry: { retries: 2, minTimeoutMs: 0 } });

    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({ attempts: 3, cause: busy, taskKey: keyOf('a') });
  });

  it('does not retry with retry: false', async () => {
    const handler = vi.fn(async () => {
      throw new TransientError('busy');
    });

    const error = await failureOf(of(step('a')), handler, { retry: false });

    expect(error).toMatchObject({ attempts: 1 });
    expect(handler).toHaveBeenCalledOnce();
  });
});

describe('crawl with a checkpoint', () => {
  it('skips the pages the checkpoint knows, emits none of them, and runs their recorded next tasks', async () => {
    const checkpoint: Checkpoint<Step> = {
      completed: async (keys) =>
        new Map(keys.filter((key) => key === keyOf('a')).map((key) => [key, [step('b'), step('c')]])),
    };
    const handler = vi.fn(walk({ b: ['d'] }));

    const pages = await crawlAll(of(step('a')), handler, { checkpoint });

    expect(ids(pages)).toEqual(['b', 'c', 'd']);
    expect(handler.mock.calls.map(([task]) => task.id)).toEqual(['b', 'c', 'd']);
  });

  it('asks the checkpoint about each task by its key', async () => {
    const completed = vi.fn(async () => new Map<string, readonly Step[]>());

    await crawlAll(of(step('a')), walk({ a: ['b'] }), { checkpoint: { completed } });

    expect(completed.mock.calls).toEqual([[[keyOf('a')]], [[keyOf('b')]]]);
  });

  it('gives a skipped page’s next tasks the depth below it', async () => {
    const checkpoint: Checkpoint<Step> = {
      completed: async (keys) => new Map(keys.includes(keyOf('a')) ? [[keyOf('a'), [step('b')]]] : []),
    };

    const pages = await crawlAll(of(step('a')), walk({}), { checkpoint });

    expect(pages.map((page) => page.depth)).toEqual([1]);
  });
});

describe('crawl events', () => {
  it('reports tasks started, pages, retries and duplicates', async () => {
    const events: CrawlEvent[] = [];
    const busy = new TransientError('busy');
    let failed = false;
    const graph = walk({ a: ['b', 'c'], b: ['c'] });
    const handler: Handler<Step, string> = async (task) => {
      if (task.id === 'c' && !failed) {
        failed = true;
        throw busy;
      }
      return graph(task);
    };

    await crawlAll(of(step('a')), handler, {
      concurrency: 1,
      retry: { retries: 1, minTimeoutMs: 0, randomize: false },
      onEvent: (event) => events.push(event),
    });

    expect(events).toEqual([
      { type: 'task-started', key: keyOf('a'), depth: 0 },
      { type: 'page', key: keyOf('a'), records: 1, nextTasks: 2, attempts: 1, queued: 2 },
      { type: 'task-started', key: keyOf('b'), depth: 1 },
      { type: 'duplicate', key: keyOf('c') },
      { type: 'page', key: keyOf('b'), records: 1, nextTasks: 1, attempts: 1, queued: 1 },
      { type: 'task-started', key: keyOf('c'), depth: 1 },
      { type: 'retry', key: keyOf('c'), retry: 1, delayMs: 0, error: busy },
      { type: 'page', key: keyOf('c'), records: 1, nextTasks: 0, attempts: 2, queued: 0 },
    ]);
  });

  it("names the task's page in a retry event", async () => {
    const events: CrawlEvent[] = [];
    const busy = new TransientError('busy');
    let calls = 0;
    const handler: Handler<{ readonly page: number }, string> = async (task) => {
      calls += 1;
      if (calls === 1) throw busy;
      return { task, data: ['x'], nextTasks: [] };
    };

    await crawlAll(of({ page: 4 }), handler, {
      retry: { retries: 1, minTimeoutMs: 0, randomize: false },
      onEvent: (event) => events.push(event),
    });

    expect(events.filter((event) => event.type === 'retry')).toEqual([
      { type: 'retry', key: taskKey({ page: 4 }), page: 4, retry: 1, delayMs: 0, error: busy },
    ]);
  });

  it('reports a page the checkpoint knows as skipped', async () => {
    const events: CrawlEvent[] = [];
    const checkpoint: Checkpoint<Step> = { completed: async (keys) => new Map(keys.map((key) => [key, []])) };

    await crawlAll(of(step('a')), walk({}), { checkpoint, onEvent: (event) => events.push(event) });

    expect(events).toEqual([
      { type: 'task-started', key: keyOf('a'), depth: 0 },
      { type: 'page-skipped', key: keyOf('a'), nextTasks: 0 },
    ]);
  });
});

describe('crawl events, when onEvent throws', () => {
  it.each<CrawlEvent['type']>(['task-started', 'page', 'duplicate', 'retry', 'limiter-wait'])(
    'ends the crawl with the error onEvent threw on a %s event',
    async (type) => {
      const thrown = new Error(`onEvent failed on ${type}`);
      let failedOnce = false;
      const graph = walk({ a: ['b', 'c'], b: ['c'] });
      const handler: Handler<Step, string> = async (task) => {
        if (task.id === 'b' && !failedOnce) {
          failedOnce = true;
          throw new TransientError('busy');
        }
        return graph(task);
      };
      const limiter = new MemoryLimiter({ rate: { limit: 1, periodMs: 5, burst: 1 } });
      const onEvent = (event: CrawlEvent): void => {
        if (event.type === type) throw thrown;
      };

      const error = await failureOf(of(step('a')), handler, {
        concurrency: 1,
        limiter,
        retry: { retries: 1, minTimeoutMs: 0, randomize: false },
        onEvent,
      });

      expect(error).toBe(thrown);
    },
  );
});

describe('crawl acknowledgements', () => {
  it('counts a page acknowledged twice as acknowledged once', async () => {
    const handler = vi.fn(walk({ a: ['b', 'c'] }));
    const pages: CrawlPage<Step, string>[] = [];
    const subscription = of(step('a'))
      .pipe(crawl(handler, { concurrency: 1, buffer: 0, retry: false }))
      .subscribe((page) => {
        pages.push(page);
        if (page.task.id !== 'a') return;
        page.ack();
        page.ack();
      });

    await vi.waitFor(() => expect(ids(pages)).toEqual(['a', 'b']));
    // b is out and not acknowledged: with buffer 0, c must not start.
    expect(handler).toHaveBeenCalledTimes(2);
    pages[1]?.ack();
    await vi.waitFor(() => expect(ids(pages)).toEqual(['a', 'b', 'c']));
    subscription.unsubscribe();
  });
});

describe('crawl cancellation', () => {
  /** A handler that never answers, and hands over the signal it was given. */
  function hanging() {
    const signals: AbortSignal[] = [];
    const started = new ReplaySubject<void>(1);
    const handler: Handler<Step, string> = (_, context) => {
      signals.push(context.signal);
      started.next();
      return new Promise(() => {});
    };
    return { handler, signals, started: firstValueFrom(started) };
  }

  it('ends the crawl with the reason when its signal is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const { handler, signals, started } = hanging();
    const result = failureOf(of(step('a')), handler, { signal: controller.signal });

    await started;
    controller.abort(reason);

    await expect(result).resolves.toBe(reason);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('does not start when its signal is aborted already', async () => {
    const reason = new Error('shutting down');
    const handler = vi.fn(walk({}));

    await expect(failureOf(of(step('a')), handler, { signal: AbortSignal.abort(reason) })).resolves.toBe(
      reason,
    );
    expect(handler).not.toHaveBeenCalled();
  });

  it('aborts the handlers’ signal when unsubscribed', async () => {
    const { handler, signals, started } = hanging();
    const subscription = of(step('a')).pipe(crawl(handler)).subscribe();

    await started;
    expect(signals[0]?.aborted).toBe(false);
    subscription.unsubscribe();

    expect(signals[0]?.aborted).toBe(true);
  });
});
