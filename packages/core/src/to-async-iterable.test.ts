import { Observable, Subject } from 'rxjs';
import { describe, expect, it, type Mock, vi } from 'vitest';
import { toAsyncIterable } from './to-async-iterable.js';

type Page = { readonly id: string; readonly ack: Mock<() => void> };

const page = (id: string): Page => ({ id, ack: vi.fn<() => void>() });

/** A source that tells whether it is subscribed. */
function observed(subject: Subject<Page>) {
  const state = { subscribed: 0, unsubscribed: 0 };
  const pages$ = new Observable<Page>((subscriber) => {
    state.subscribed += 1;
    const inner = subject.subscribe(subscriber);
    return () => {
      state.unsubscribed += 1;
      inner.unsubscribe();
    };
  });
  return { pages$, state };
}

describe('toAsyncIterable', () => {
  it('yields every page in order and ends when the source completes', async () => {
    const subject = new Subject<Page>();
    const pages = [page('a'), page('b'), page('c')];
    const seen: string[] = [];
    const loop = (async () => {
      for await (const { id } of toAsyncIterable(subject)) seen.push(id);
    })();

    for (const p of pages) subject.next(p);
    subject.complete();
    await loop;

    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('does not subscribe before the first page is asked for', async () => {
    const { pages$, state } = observed(new Subject<Page>());
    const iterator = toAsyncIterable(pages$)[Symbol.asyncIterator]();

    expect(state.subscribed).toBe(0);
    void iterator.next();
    expect(state.subscribed).toBe(1);
  });

  it('waits for a page that has not arrived yet', async () => {
    const subject = new Subject<Page>();
    const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
    const a = page('a');

    const next = iterator.next();
    subject.next(a);

    await expect(next).resolves.toEqual({ value: a, done: false });
  });

  it('acknowledges a page only when the next one is asked for', async () => {
    const subject = new Subject<Page>();
    const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();
    const [a, b] = [page('a'), page('b')];

    const first = iterator.next();
    subject.next(a);
    subject.next(b);
    await first;
    expect(a.ack).not.toHaveBeenCalled();

    await iterator.next();
    expect(a.ack).toHaveBeenCalledOnce();
    expect(b.ack).not.toHaveBeenCalled();
  });

  it('acknowledges the last page when the loop ends', async () => {
    const subject = new Subject<Page>();
    const last = page('last');
    const loop = (async () => {
      for await (const _ of toAsyncIterable(subject)) {
        // Nothing to do: the page is acknowledged when the loop moves on.
      }
    })();

    subject.next(last);
    subject.complete();
    await loop;

    expect(last.ack).toHaveBeenCalledOnce();
  });

  it('acknowledges the current page and unsubscribes when the loop breaks', async () => {
    const subject = new Subject<Page>();
    const { pages$, state } = observed(subject);
    const [a, b] = [page('a'), page('b')];
    const loop = (async () => {
      for await (const _ of toAsyncIterable(pages$)) break;
    })();

    subject.next(a);
    subject.next(b);
    await loop;

    expect(state.unsubscribed).toBe(1);
    expect(a.ack).toHaveBeenCalledOnce();
    expect(b.ack).not.toHaveBeenCalled();
  });

  it('unsubscribes and lets the error through when the loop body throws', async () => {
    const subject = new Subject<Page>();
    const { pages$, state } = observed(subject);
    const failure = new Error('disk full');
    const loop = (async () => {
      for await (const _ of toAsyncIterable(pages$)) throw failure;
    })();

    subject.next(page('a'));

    await expect(loop).rejects.toBe(failure);
    expect(state.unsubscribed).toBe(1);
  });

  it('yields the pages that came before an error, then throws it', async () => {
    const subject = new Subject<Page>();
    const failure = new Error('crawl failed');
    const seen: string[] = [];
    const loop = (async () => {
      for await (const { id } of toAsyncIterable(subject)) seen.push(id);
    })();

    subject.next(page('a'));
    subject.next(page('b'));
    subject.error(failure);

    await expect(loop).rejects.toBe(failure);
    expect(seen).toEqual(['a', 'b']);
  });

  it('stays done when asked again after the end', async () => {
    const subject = new Subject<Page>();
    const iterator = toAsyncIterable(subject)[Symbol.asyncIterator]();

    const first = iterator.next();
    subject.complete();

    await expect(first).resolves.toEqual({ value: undefined, done: true });
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });
});

describe('toAsyncIterable, asked twice without waiting', () => {
  it('answers both calls in order', async () => {
    const pages = new Subject<{ n: number; ack(): void }>();
    const iterator = toAsyncIterable(pages)[Symbol.asyncIterator]();
    const first = iterator.next();
    const second = iterator.next();
    pages.next({ n: 1, ack: () => {} });
    pages.next({ n: 2, ack: () => {} });
    pages.complete();
    expect((await first).value?.n).toBe(1);
    expect((await second).value?.n).toBe(2);
    expect((await iterator.next()).done).toBe(true);
  });
});
