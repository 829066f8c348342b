import { describe, expect, it } from 'vitest';
import { RunStats } from './run-stats.js';

function clock(start = 1000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const page = (records: number, attempts: number, queued: number) =>
  ({ type: 'page', key: 'k', records, nextTasks: 0, attempts, queued }) as const;

describe('RunStats', () => {
  it('starts at zero', () => {
    expect(new RunStats(clock().now).snapshot()).toEqual({
      pagesFetched: 0,
      pagesSkipped: 0,
      records: 0,
      requests: 0,
      retries: 0,
      queued: 0,
      limiterWaitMs: 0,
      elapsedMs: 0,
    });
  });

  it('counts pages and their records', () => {
    const stats = new RunStats(clock().now);

    stats.record(page(50, 1, 0));
    stats.record(page(31, 1, 0));

    expect(stats.snapshot()).toMatchObject({ pagesFetched: 2, records: 81 });
  });

  it('counts every attempt of a page as a request', () => {
    const stats = new RunStats(clock().now);

    stats.record(page(50, 1, 0));
    stats.record(page(50, 3, 0));

    expect(stats.snapshot().requests).toBe(4);
  });

  it('reports the queue length the last page reported, besides the tasks in flight', () => {
    const stats = new RunStats(clock().now);
    const started = { type: 'task-started', key: 'k', depth: 0 } as const;

    stats.record(started);
    stats.record(started);
    stats.record(page(50, 1, 8));
    stats.record(page(50, 1, 7));

    expect(stats.snapshot().queued).toBe(7);
  });

  it('counts the tasks in flight among the pages not done yet', () => {
    const stats = new RunStats(clock().now);
    const started = { type: 'task-started', key: 'k', depth: 0 } as const;

    stats.record(started);
    stats.record(page(50, 1, 10));
    for (let i = 0; i < 4; i += 1) stats.record(started);

    // 10 were waiting when page 1 came; 4 of them started since: 6 wait, 4 are in flight.
    expect(stats.snapshot().queued).toBe(10);
    stats.record(page(50, 1, 6));
    expect(stats.snapshot().queued).toBe(9);
  });

  it('counts retries', () => {
    const stats = new RunStats(clock().now);

    stats.record({ type: 'retry', key: 'k', retry: 1, delayMs: 200, error: new Error('502') });
    stats.record({ type: 'retry', key: 'k', retry: 2, delayMs: 400, error: new Error('502') });

    expect(stats.snapshot().retries).toBe(2);
  });

  it('adds up the time spent waiting on the limiter', () => {
    const stats = new RunStats(clock().now);

    stats.record({ type: 'limiter-wait', key: 'a', waitMs: 111 });
    stats.record({ type: 'limiter-wait', key: 'b', waitMs: 222 });

    expect(stats.snapshot().limiterWaitMs).toBe(333);
  });

  it('counts pages a checkpoint skipped apart from pages fetched', () => {
    const stats = new RunStats(clock().now);

    stats.record({ type: 'page-skipped', key: 'k', nextTasks: 1 });

    expect(stats.snapshot()).toMatchObject({ pagesSkipped: 1, pagesFetched: 0, requests: 0 });
  });

  it('counts a started task as a page not done yet, and ignores duplicates', () => {
    const stats = new RunStats(clock().now);

    stats.record({ type: 'task-started', key: 'k', depth: 0 });
    stats.record({ type: 'duplicate', key: 'k' });

    expect(stats.snapshot()).toEqual({ ...new RunStats(clock().now).snapshot(), queued: 1 });
  });

  it('measures the time elapsed since it was created on its clock', () => {
    const time = clock(5000);
    const stats = new RunStats(time.now);

    time.advance(1234);

    expect(stats.snapshot().elapsedMs).toBe(1234);
  });

  it('hands out snapshots that later events do not change', () => {
    const stats = new RunStats(clock().now);
    const before = stats.snapshot();

    stats.record(page(50, 1, 0));

    expect(before.pagesFetched).toBe(0);
  });
});
