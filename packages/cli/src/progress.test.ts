import { describe, expect, it } from 'vitest';
import { createProgress, describeProgress, describeRetry } from './progress.js';
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
    requestsPerSecond: 9,
    sendDelays: { requests: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, spentPermits: 0 },
    retries: 0,
    queued: 3,
    limiterWaitMs: 3600,
    limiterWallMs: 1200,
    elapsedMs: 2000,
    lastRetry: undefined,
    ...overrides,
  };
}

describe('describeProgress', () => {
  it('gives pages, records, requests per second and the wall-clock limiter wait out of the run', () => {
    expect(describeProgress(stats())).toBe(
      '12 pages · 600 records · 9.0 req/s · 1.2 s of 2.0 s waiting on the limiter',
    );
  });

  it('shows the windowed request rate, not requests over elapsed time', () => {
    // 18 requests in the first 1.2 s of a 9/1s run: a burst over elapsed time would read 15.
    expect(describeProgress(stats({ requests: 18, elapsedMs: 1200, requestsPerSecond: 8.4 }))).toContain(
      ' 8.4 req/s ',
    );
  });

  it('gives the rate learnt from the API with --rate auto, and nothing of it otherwise', () => {
    expect(describeProgress(stats({ learntPerSecond: 9.2 }))).toContain(
      ' · 9.0 req/s · rate learnt 9.20/s · ',
    );
    expect(describeProgress(stats())).not.toContain('learnt');
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
    expect(describeProgress(stats({ elapsedMs: 0, requests: 0, requestsPerSecond: 0 }))).toMatch(
      / 0\.0 req\/s /,
    );
  });
});

const retry = {
  page: 4,
  key: '3f2a9c1b0e4d5a6b7c8d',
  retry: 1,
  delayMs: 2000,
  reason: 'HTTP 503: Service Unavailable',
  atMs: 1500,
} as const;

describe('describeRetry', () => {
  it('says which page is retried, when, and why', () => {
    expect(describeRetry(retry)).toBe('retrying page 4 in 2.0 s: HTTP 503: Service Unavailable');
  });

  it('names a task without a page by its key', () => {
    expect(describeRetry({ ...retry, page: undefined })).toMatch(/^retrying task 3f2a9c1b0e4d in /);
  });

  it('cuts the secrets out of the reason', () => {
    expect(describeRetry({ ...retry, reason: 'HTTP 502 from /search?api_token=tok-123' }, ['tok-123'])).toBe(
      'retrying page 4 in 2.0 s: HTTP 502 from /search?api_token=***',
    );
  });
});

describe('createProgress on a stream that is not a terminal', () => {
  it('prints nothing before the first page', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, intervalMs: 1000 });

    progress.update(stats({ pagesFetched: 0, elapsedMs: 5000 }));

    expect(text()).toBe('');
  });

  it('prints its first line at the first page, without waiting an interval', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, intervalMs: 2000 });

    progress.update(stats({ pagesFetched: 1, elapsedMs: 300 }));

    expect(text()).toBe(`capital: ${describeProgress(stats({ pagesFetched: 1, elapsedMs: 300 }))}\n`);
  });

  it('prints at most one line per interval after the first', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, intervalMs: 1000 });

    for (const elapsedMs of [300, 1000, 1299, 1300, 1500, 2299, 2300]) progress.update(stats({ elapsedMs }));

    expect(text().split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('waits two seconds between lines by default', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream });

    progress.update(stats({ elapsedMs: 100 }));
    progress.update(stats({ elapsedMs: 2099 }));
    expect(text().split('\n').filter(Boolean)).toHaveLength(1);
    progress.update(stats({ elapsedMs: 2100 }));

    expect(text().split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('says at once when the run retries, and why, even before the first page', () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ stream, secrets: ['tok-123'] });

    progress.update(
      stats({
        pagesFetched: 0,
        retries: 1,
        lastRetry: { ...retry, page: 1, reason: 'HTTP 503: busy (token tok-123)' },
      }),
    );
    progress.update(stats({ pagesFetched: 0, retries: 1, lastRetry: { ...retry, page: 1 } }));

    expect(text()).toBe('capital: retrying page 1 in 2.0 s: HTTP 503: busy (token ***)\n');
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

  it('says on the bar why it waits while a retry is pending', () => {
    const { stream, text } = fakeStream(true);
    const progress = createProgress({ stream });

    progress.update(stats({ pagesFetched: 3, queued: 6, retries: 1, lastRetry: retry, elapsedMs: 2000 }));
    progress.stop();

    expect(text()).toContain(' · retrying page 4 in 2.0 s: HTTP 503: Service Unavailable');
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
