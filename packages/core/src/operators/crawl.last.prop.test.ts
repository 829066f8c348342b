import { fc, it } from '@fast-check/vitest';
import { map, of, timer, VirtualTimeScheduler } from 'rxjs';
import { describe, expect } from 'vitest';
import type { Checkpoint } from '../checkpoint.js';
import { TransientError } from '../errors.js';
import type { LazyHandler, NextTasks } from '../task.js';
import { taskKey } from '../task.js';
import { seededRandom } from '../testing/synthetic-source.js';
import { crawl } from './crawl.js';

type Link = { readonly type: 'link'; readonly at: number };

const link = (at: number): Link => ({ type: 'link', at });

/**
 * A graph of up to 12 tasks whose edges only go forward (no cycle): fan-outs, chains, and next
 * tasks that repeat (several parents, or one parent naming a child twice).
 */
const graphs = fc
  .integer({ min: 1, max: 12 })
  .chain((size) =>
    fc.tuple(
      ...Array.from({ length: size }, (_, at) =>
        at + 1 < size
          ? fc.array(fc.integer({ min: at + 1, max: size - 1 }), { maxLength: 4 })
          : fc.constant([] as number[]),
      ),
    ),
  );

const runs = fc.record({
  concurrency: fc.integer({ min: 1, max: 5 }),
  buffer: fc.nat({ max: 4 }),
  failureRate: fc.constantFrom(0, 0.2),
  seedTwice: fc.boolean(),
  lazy: fc.boolean(),
  seed: fc.integer(),
});

type Outcome = { readonly marks: boolean[]; readonly completed: boolean; readonly lastEvent: string };

/** Crawls `graph` from task 0 on virtual time, acknowledging each page after a random delay. */
async function crawlGraph(
  graph: readonly (readonly number[])[],
  run: Run,
  checkpoint?: Checkpoint<Link>,
): Promise<Outcome> {
  const scheduler = new VirtualTimeScheduler();
  const random = seededRandom(run.seed);
  const handler: LazyHandler<Link, number> = (task) => {
    const fails = random() < run.failureRate;
    return timer(1 + Math.floor(random() * 3), scheduler).pipe(
      map(() => {
        if (fails) throw new TransientError(`flaky ${task.at}`);
        const next = (graph[task.at] ?? []).map(link);
        const nextTasks: NextTasks<Link> = run.lazy ? generate(next) : next;
        return { task, data: [task.at], nextTasks };
      }),
    );
  };
  const marks: boolean[] = [];
  let completed = false;
  let lastEvent = '';
  of(...(run.seedTwice ? [link(0), link(0)] : [link(0)]))
    .pipe(
      crawl(handler, {
        concurrency: run.concurrency,
        buffer: run.buffer,
        retry: { retries: 30, minTimeoutMs: 1, factor: 1, randomize: false },
        scheduler,
        ...(checkpoint ? { checkpoint } : {}),
        onEvent: (event) => {
          if (event.type === 'page' || event.type === 'page-skipped') lastEvent = event.type;
        },
      }),
    )
    .subscribe({
      next: (page) => {
        marks.push(page.last === true);
        scheduler.schedule(() => page.ack(), Math.floor(random() * 4));
      },
      complete: () => {
        completed = true;
      },
    });
  // A checkpoint answers with a promise: virtual time goes on once it has.
  for (let turn = 0; !completed && turn < 10_000; turn += 1) {
    scheduler.flush();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { marks, completed, lastEvent };
}

type Run = {
  concurrency: number;
  buffer: number;
  failureRate: number;
  seedTwice: boolean;
  lazy: boolean;
  seed: number;
};

function* generate(tasks: readonly Link[]): Generator<Link> {
  yield* tasks;
}

/** At most one page is marked, and only the one emitted last. */
function expectMarkedAtMostTheLast(marks: readonly boolean[]): void {
  const marked = marks.flatMap((mark, index) => (mark ? [index] : []));
  expect(marked.length).toBeLessThanOrEqual(1);
  if (marked.length === 1) expect(marked[0]).toBe(marks.length - 1);
}

describe('crawl marks its last page', () => {
  it.prop([graphs, runs], { numRuns: 200 })(
    'marks at most one page, the one emitted last; exactly one when no task waits undrawn',
    async (graph, run) => {
      const outcome = await crawlGraph(graph, run);

      expect(outcome.completed).toBe(true);
      expectMarkedAtMostTheLast(outcome.marks);
      // Arrays are admitted (or dropped as duplicates) as their page arrives, so the crawl knows
      // its last page as it emits it; a lazy source, or a second seed, may be drawn only later.
      if (!run.lazy && !run.seedTwice) expect(outcome.marks.filter(Boolean)).toHaveLength(1);
    },
  );

  it.prop([graphs, runs, fc.array(fc.nat({ max: 11 }), { maxLength: 6 })], { numRuns: 200 })(
    'with a checkpoint, marks none when the crawl ended on a page it skipped',
    async (graph, run, stored) => {
      const storedKeys = new Map(
        stored
          .filter((at) => at < graph.length)
          .map((at) => [taskKey(link(at)), (graph[at] ?? []).map(link)] as const),
      );
      const checkpoint: Checkpoint<Link> = {
        completed: async (keys) =>
          new Map(
            keys.flatMap((key) => {
              const next = storedKeys.get(key);
              return next === undefined ? [] : [[key, next] as const];
            }),
          ),
      };
      const outcome = await crawlGraph(graph, { ...run, lazy: false }, checkpoint);

      expect(outcome.completed).toBe(true);
      expectMarkedAtMostTheLast(outcome.marks);
      if (outcome.lastEvent === 'page-skipped') expect(outcome.marks.some(Boolean)).toBe(false);
    },
  );
});
