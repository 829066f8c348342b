import { fc, it } from '@fast-check/vitest';
import { map, type Observable, of, timer, VirtualTimeScheduler } from 'rxjs';
import { describe, expect } from 'vitest';
import { TransientError } from '../errors.js';
import type { Handler } from '../task.js';
import {
  SyntheticSource,
  type SyntheticSourceSpec,
  type SyntheticTask,
  seededRandom,
} from '../testing/synthetic-source.js';
import { toAsyncIterable } from '../to-async-iterable.js';
import { crawl } from './crawl.js';

/** The pages that start sub-source `child`: 1 to 3, anywhere in earlier sub-sources. */
const linksTo = (child: number) =>
  fc.array(
    fc.record({ child: fc.constant(child), parent: fc.nat({ max: 100 }), page: fc.nat({ max: 100 }) }),
    {
      minLength: 1,
      maxLength: 3,
    },
  );

/**
 * Up to 8 sub-sources of up to 30 records, in pages of 1 to 7; each sub-source but the root is
 * started by 1 to 3 pages of earlier ones, so fan-outs nest and next tasks repeat.
 */
const specs: fc.Arbitrary<SyntheticSourceSpec> = fc
  .array(fc.record({ records: fc.nat({ max: 30 }), pageSize: fc.integer({ min: 1, max: 7 }) }), {
    minLength: 1,
    maxLength: 8,
  })
  .chain((sources) => {
    const links = sources.slice(1).map((_, index) => linksTo(index + 1));
    return fc.tuple(...links).map((perChild) => ({ sources, links: perChild.flat() }));
  });

/** How the run goes: the crawl's bounds, how often an attempt fails, and the seed of every draw. */
const runs = fc.record({
  concurrency: fc.integer({ min: 1, max: 5 }),
  buffer: fc.nat({ max: 4 }),
  failureRate: fc.constantFrom(0, 0.1, 0.3),
  seed: fc.integer(),
});

/** Every attempt waits 1 to 3 frames, then fails with a TransientError at `failureRate`. */
function flakyHandler(
  source: SyntheticSource,
  scheduler: VirtualTimeScheduler,
  random: () => number,
  failureRate: number,
  onStart: (task: SyntheticTask, attempt: number) => void = () => {},
): Handler<SyntheticTask, string> {
  return (task, context) => {
    onStart(task, context.attempt);
    const fails = random() < failureRate;
    return timer(1 + Math.floor(random() * 3), scheduler).pipe(
      map(() => {
        if (fails) throw new TransientError(`flaky ${task.source}:${task.page}`);
        return source.page(task);
      }),
    );
  };
}

/** Seeds the root, twice when `twice`: the second is a duplicate to drop. */
const seedsOf = (source: SyntheticSource, twice: boolean): Observable<SyntheticTask> =>
  twice ? of(source.seed(), source.seed()) : of(source.seed());

const virtualRetry = { retries: 20, minTimeoutMs: 1, factor: 1, randomize: false } as const;

describe('crawl, for any paginated source', () => {
  it.prop([specs, runs, fc.boolean()], { numRuns: 100 })(
    'yields every record exactly once and completes, despite transient failures and duplicate next tasks',
    (spec, { concurrency, buffer, failureRate, seed }, seedTwice) => {
      const source = new SyntheticSource(spec);
      const scheduler = new VirtualTimeScheduler();
      const random = seededRandom(seed);
      const records: string[] = [];
      const outcome = { completed: false, error: undefined as unknown };

      seedsOf(source, seedTwice)
        .pipe(
          crawl(flakyHandler(source, scheduler, random, failureRate), {
            concurrency,
            buffer,
            retry: virtualRetry,
            scheduler,
          }),
        )
        .subscribe({
          next: (page) => {
            records.push(...page.data);
            scheduler.schedule(() => page.ack(), Math.floor(random() * 4));
          },
          error: (error: unknown) => {
            outcome.error = error;
          },
          complete: () => {
            outcome.completed = true;
          },
        });
      scheduler.flush();

      expect(outcome).toEqual({ completed: true, error: undefined });
      expect(records.sort()).toEqual(source.records());
    },
  );

  it.prop([specs, runs], { numRuns: 100 })(
    'fetches each distinct page once',
    (spec, { concurrency, buffer, seed }) => {
      const source = new SyntheticSource(spec);
      const scheduler = new VirtualTimeScheduler();
      const random = seededRandom(seed);
      const fetched: string[] = [];
      const handler = flakyHandler(source, scheduler, random, 0, (task) =>
        fetched.push(`${task.source}:${task.page}`),
      );

      of(source.seed())
        .pipe(crawl(handler, { concurrency, buffer, retry: false, scheduler }))
        .subscribe((page) => scheduler.schedule(() => page.ack(), Math.floor(random() * 4)));
      scheduler.flush();

      expect(fetched).toHaveLength(source.pageTotal());
      expect(new Set(fetched).size).toBe(fetched.length);
    },
  );

  it.prop([specs, runs], { numRuns: 100 })(
    'never has more than concurrency + buffer pages fetched or in flight and not acknowledged',
    (spec, { concurrency, buffer, failureRate, seed }) => {
      const source = new SyntheticSource(spec);
      const scheduler = new VirtualTimeScheduler();
      const random = seededRandom(seed);
      let started = 0;
      let acknowledged = 0;
      let most = 0;
      const handler = flakyHandler(source, scheduler, random, failureRate, (_, attempt) => {
        if (attempt > 1) return;
        started += 1;
        most = Math.max(most, started - acknowledged);
      });

      of(source.seed())
        .pipe(crawl(handler, { concurrency, buffer, retry: virtualRetry, scheduler }))
        .subscribe((page) =>
          scheduler.schedule(
            () => {
              acknowledged += 1;
              page.ack();
            },
            Math.floor(random() * 10),
          ),
        );
      scheduler.flush();

      expect(acknowledged).toBe(source.pageTotal());
      expect(most).toBeLessThanOrEqual(concurrency + buffer);
    },
  );

  it.prop([specs, runs], { numRuns: 30 })(
    'yields every record exactly once to a for-await loop over promise handlers that fail now and then',
    async (spec, { concurrency, buffer, failureRate, seed }) => {
      const source = new SyntheticSource(spec);
      const random = seededRandom(seed);
      const handler: Handler<SyntheticTask, string> = async (task) => {
        await Promise.resolve();
        if (random() < failureRate) throw new TransientError(`flaky ${task.source}:${task.page}`);
        return source.page(task);
      };
      const records: string[] = [];

      // Retries wait 0 ms on real timers.
      const pages = of(source.seed()).pipe(
        crawl(handler, { concurrency, buffer, retry: { retries: 20, minTimeoutMs: 0, randomize: false } }),
      );
      for await (const page of toAsyncIterable(pages)) {
        records.push(...page.data);
        if (random() < 0.5) await Promise.resolve();
      }

      expect(records.sort()).toEqual(source.records());
    },
  );
});
