import { describe, expect, it } from 'vitest';
import { createProgress, describeProgress } from './progress.js';
import type { RunStatsSnapshot } from './run-stats.js';

/** A stream that keeps what is written to it, a terminal or not. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 200,
    write: (chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

function stats(overrides: Partial<RunStatsSnapshot> = {}): RunStatsSnapshot {
  return {
    pagesFetched: 12,
    pagesSkipped: 0,
    records: 600,
    requests: 18,
    retries: 0,
    queued: 3,
    limiterWaitMs: 1200,
    elapsedMs: 2000,
    ...overrides,
  };
}

describe('describeProgress', () => {
  it('gives pages, records, requests per second and the limiter wait on one line', () => {
    expect(describeProgress(stats())).toBe(
      '12 pages · 600 records · 9.0 req/s · 1.2 s waiting on the limiter',
    );
  });

  it('says "page" for one page', () => {
    expect(describeProgress(stats({ pagesFetched: 1 }))).toMatch(/^1 page · /);
  });

  it('mentions retries only when there were some', () => {
    expect(describeProgress(stats())).not.toMatch(/retries/);
    expect(describeProgress(stats({ retries: 3 }))).toMatch(/ · 3 retries$/);
  });

  it('mentions pages a checkpoint skipped only when there were some', () => {
    expect(describeProgress(stats())).not.toMatch(/already stored/);
    expect(describeProgress(stats({ pagesSkipped: 4 }))).toMatch(/ · 4 pages already stored$/);
  });

  it('gives a finite rate at the very start of a run', () => {
    expect(describeProgress(stats({ elapsedMs: 0, requests: 0 }))).toMatch(/ 0\.0 req\/s /);
  });
});

describe('createProgress on a stream that is not a terminal', () => {
  it('prints nothing before the first page', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, intervalMs: 1000 });

    progress.update(stats({ pagesFetched: 0, elapsedMs: 5000 }));

    expect(text()).toBe('');
  });

  it('prints its first line once an interval has passed', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, intervalMs: 1000 });

    progress.update(stats({ elapsedMs: 999 }));
    expect(text()).toBe('');
    progress.update(stats({ elapsedMs: 1000 }));

    expect(text()).toBe(`capital: ${describeProgress(stats({ elapsedMs: 1000 }))}\n`);
  });

  it('prints at most one line per interval', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, intervalMs: 1000 });

    for (const elapsedMs of [1000, 1500, 1999, 2000, 2100]) progress.update(stats({ elapsedMs }));

    expect(text().split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('waits two seconds between lines by default', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream });

    progress.update(stats({ elapsedMs: 1999 }));
    expect(text()).toBe('');
    progress.update(stats({ elapsedMs: 2000 }));

    expect(text()).not.toBe('');
  });

  it('writes plain text, without terminal control codes', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, intervalMs: 1 });

    progress.update(stats());
    progress.stop();

    expect(text()).not.toContain('\u001b');
  });

  it('prints nothing when quiet', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, intervalMs: 1, quiet: true });

    progress.update(stats());
    progress.stop();

    expect(text()).toBe('');
  });
});

describe('createProgress on a terminal', () => {
  it('draws a bar of pages fetched out of pages known', () => {
    const { stream, text } = fakeStream(true);
    const progress = createProgress({ stream });

    progress.update(stats({ pagesFetched: 3, queued: 6 }));
    progress.stop();

    expect(text()).toMatch(/ 3\/9 pages · 600 records/);
  });

  it('draws the final figures when stopped', () => {
    const { stream, text } = fakeStream(true);
    const progress = createProgress({ stream });

    progress.update(stats({ pagesFetched: 3, queued: 6 }));
    progress.update(stats({ pagesFetched: 9, queued: 0 }));
    progress.stop();

    expect(text()).toMatch(/ 9\/9 pages · 600 records/);
  });

  it('draws nothing when stopped before any page', () => {
    const { stream, text } = fakeStream(true);

    createProgress({ stream }).stop();

    expect(text()).toBe('');
  });

  it('draws nothing when quiet', () => {
    const { stream, text } = fakeStream(true);
    const progress = createProgress({ stream, quiet: true });

    progress.update(stats());
    progress.stop();

    expect(text()).toBe('');
  });
});
