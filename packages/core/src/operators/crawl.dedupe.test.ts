import { fc, it as prop } from '@fast-check/vitest';
import { lastValueFrom, of, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, TaskCycleError } from '../errors.js';
import type { HandlerResult } from '../task.js';
import { crawl } from './crawl.js';
import type { CrawlDedupe, CrawlOptions } from './crawl-config.js';

type Link = { readonly type: 'link'; readonly at: number };

const link = (at: number): Link => ({ type: 'link', at });

/** Task `at` leads to the tasks `graph[at]`; counts how often each ran. */
function graphHandler(graph: readonly (readonly number[])[], runs: number[]) {
  return async (task: Link): Promise<HandlerResult<Link, number>> => {
    runs[task.at] = (runs[task.at] ?? 0) + 1;
    return { task, data: [task.at], nextTasks: (graph[task.at] ?? []).map(link) };
  };
}

function crawlGraph(graph: readonly (readonly number[])[], options: CrawlOptions<Link>, runs: number[] = []) {
  return lastValueFrom(
    of(link(0)).pipe(
      crawl(graphHandler(graph, runs), { retry: false, concurrency: 1, ...options }),
      tap((page) => page.ack()),
      toArray(),
    ),
  );
}

/** A chain 0 → 1 → … → length - 1 that loops back to `to`. */
function loop(length: number, to: number): number[][] {
  return Array.from({ length }, (_, at) => [at + 1 < length ? at + 1 : to]);
}

const dedupes: fc.Arbitrary<CrawlDedupe> = fc.oneof(
  fc.constant('memory' as const),
  fc.integer({ min: 1, max: 16 }).map((maxKeys) => ({ maxKeys })),
);

describe('crawl cycle detection', () => {
  prop.prop([fc.integer({ min: 1, max: 300 }), fc.nat(), dedupes])(
    'fails with a TaskCycleError on a loop of any length, whatever it remembers',
    async (length, start, dedupe) => {
      const to = start % length;
      const runs: number[] = [];
      const error = await crawlGraph(loop(length, to), { dedupe }, runs).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TaskCycleError);
      // Remembering every key, nothing runs twice. Remembering a window, Brent's algorithm ends the
      // loop once its tortoise, jumping at powers of two, is inside it and the power covers the
      // loop: within four times the chain's length in all.
      const total = runs.reduce((sum, count) => sum + (count ?? 0), 0);
      if (dedupe === 'memory') expect(total).toBe(length);
      else expect(total).toBeLessThanOrEqual(4 * length + 4);
    },
    // A hundred crawls of up to 1,200 pages: seconds on a busy machine.
    30_000,
  );

  it('tells a duplicate in another branch from a cycle', async () => {
    // 0 → 1, 2; 1 → 3; 2 → 3: 3 is reached twice, never from itself.
    const pages = await crawlGraph([[1, 2], [3], [3], []], {});

    expect(pages.map((page) => page.task.at)).toEqual([0, 1, 2, 3]);
  });

  it('follows a chain longer than the old default depth limit of 100,000', { timeout: 120_000 }, async () => {
    const length = 100_002;
    let pages = 0;
    await lastValueFrom(
      of(link(0)).pipe(
        crawl(
          async (task: Link) => ({
            task,
            data: [],
            nextTasks: task.at + 1 < length ? [link(task.at + 1)] : [],
          }),
          { retry: false },
        ),
        tap((page) => {
          pages += 1;
          page.ack();
        }),
      ),
      { defaultValue: undefined },
    );

    expect(pages).toBe(length);
  });
});

describe('crawl de-duplication', () => {
  // 0 → 1, 2; 1 → 7; 2 → 3 → 4 → 5 → 7: 7 is named twice, four pages apart.
  const diamond = [[1, 2], [7], [3], [4], [5], [7], [], []];

  it('runs each task once, remembering every key by default', async () => {
    const runs: number[] = [];
    await crawlGraph(diamond, {}, runs);

    expect(runs[7]).toBe(1);
  });

  it('runs a task again once it is older than a bounded memory’s window', async () => {
    const runs: number[] = [];
    await crawlGraph(diamond, { dedupe: { maxKeys: 2 } }, runs);

    expect(runs[7]).toBeGreaterThan(1);
  });

  it.each([[{ maxKeys: 0 }], [{ maxKeys: 1.5 }], [{ maxKeys: Number.NaN }], ['disk']])(
    'rejects the dedupe option %j',
    (dedupe) => {
      expect(() =>
        crawl(async (task: Link) => ({ task, data: [], nextTasks: [] }), { dedupe: dedupe as CrawlDedupe }),
      ).toThrow(InvalidOptionError);
    },
  );
});
