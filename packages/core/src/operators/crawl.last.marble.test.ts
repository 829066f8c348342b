import { map, type Observable } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../errors.js';
import type { Handler, TaskResult } from '../task.js';
import { crawl } from './crawl.js';
import type { CrawlPage } from './crawl-config.js';

function marbles(callback: (helpers: RunHelpers, scheduler: TestScheduler) => void): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run((helpers) => callback(helpers, scheduler));
}

type Node = { readonly id: string };
type Page = TaskResult<Node, string>;

const node = (id: string): Node => ({ id });
const page = (id: string, ...next: string[]): Page => ({
  task: node(id),
  data: [id],
  nextTasks: next.map(node),
});
const seedValues = { a: node('a'), b: node('b') };

/** Acknowledges each page and names it: its id, upper case when it is marked the crawl's last. */
const ackAndMark = map((received: CrawlPage<Node, string>) => {
  received.ack();
  return received.last === true ? received.task.id.toUpperCase() : received.task.id;
});

/** A handler answering each attempt of task `id` with `attempts[id][attempt - 1]`. */
function serve(attempts: Readonly<Record<string, readonly Observable<Page>[]>>): Handler<Node, string> {
  return (task, context) => attempts[task.id]?.[context.attempt - 1] as Observable<Page>;
}

describe('crawl marks its last page on virtual time', () => {
  it('marks the page after which nothing runs, not one that arrives while a sibling still runs', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const handler = serve({
        a: [cold('-(r|)', { r: page('a', 'b', 'c') })],
        b: [cold('-(r|)', { r: page('b') })],
        c: [cold('---(r|)', { r: page('c') })],
      });
      const seeds = cold('a|    ', seedValues);
      const expected = '  -ab-(C|)';

      expectObservable(seeds.pipe(crawl(handler, { concurrency: 2, scheduler }), ackAndMark)).toBe(expected);
    });
  });

  it('does not mark a page that arrives while another task waits for its retry', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const busy = new TransientError('busy');
      // b fails at 1 and is retried at 4: a, at 2, comes while b waits, so only b (at 5) is last.
      const handler = serve({
        a: [cold('--(r|)', { r: page('a') })],
        b: [cold('-#', undefined, busy), cold('-(r|)', { r: page('b') })],
      });
      const retry = { retries: 1, minTimeoutMs: 3, factor: 1, randomize: false };
      const seeds = cold('(ab|)   ', seedValues);
      const expected = '  --a--(B|)';

      expectObservable(seeds.pipe(crawl(handler, { concurrency: 2, retry, scheduler }), ackAndMark)).toBe(
        expected,
      );
    });
  });
});
