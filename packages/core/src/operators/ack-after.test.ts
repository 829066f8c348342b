import { lastValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, it, type Mock, vi } from 'vitest';
import { ackAfter } from './ack-after.js';

type Page = { readonly id: string; readonly ack: Mock<() => void> };

const page = (id: string): Page => ({ id, ack: vi.fn<() => void>() });

/** A promise with its resolve and reject at hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ackAfter', () => {
  it('acknowledges a page once its write has resolved, not before', async () => {
    const write = deferred<void>();
    const a = page('a');
    const pages = new Subject<Page>();
    pages.pipe(ackAfter(() => write.promise)).subscribe();

    pages.next(a);
    await settle();
    expect(a.ack).not.toHaveBeenCalled();

    write.resolve();
    await settle();
    expect(a.ack).toHaveBeenCalledOnce();
  });

  it('writes one page at a time, in order', async () => {
    const finishWrite: (() => void)[] = [];
    const started: string[] = [];
    const pages = new Subject<Page>();
    pages
      .pipe(
        ackAfter((p: Page) => {
          started.push(p.id);
          return new Promise<void>((resolve) => finishWrite.push(resolve));
        }),
      )
      .subscribe();

    pages.next(page('a'));
    pages.next(page('b'));
    await settle();
    expect(started).toEqual(['a']);

    finishWrite[0]?.();
    await settle();
    expect(started).toEqual(['a', 'b']);
  });

  it('emits what each write resolved to', async () => {
    const pages = new Subject<Page>();
    const written = lastValueFrom(
      pages.pipe(
        ackAfter(async (p: Page) => `${p.id} written`),
        toArray(),
      ),
    );

    pages.next(page('a'));
    pages.next(page('b'));
    pages.complete();

    await expect(written).resolves.toEqual(['a written', 'b written']);
  });

  it('fails with the write’s error and does not acknowledge the page', async () => {
    const failure = new Error('disk full');
    const a = page('a');
    const pages = new Subject<Page>();
    const written = lastValueFrom(pages.pipe(ackAfter(() => Promise.reject(failure))));

    pages.next(a);

    await expect(written).rejects.toBe(failure);
    expect(a.ack).not.toHaveBeenCalled();
  });
});
