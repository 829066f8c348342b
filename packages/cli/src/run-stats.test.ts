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
      requestsPerSecond: 0,
      retries: 0,
      queued: 0,
      limiterWaitMs: 0,
      limiterWallMs: 0,
      elapsedMs: 0,
      lastRetry: undefined,
      sendDelays: { requests: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, spentPermits: 0 },
    });
  });

  it('keeps grant-to-send delays as percentiles and counts the permits spent late', () => {
    const stats = new RunStats(clock().now);
    for (let delay = 1; delay <= 100; delay += 1) {
      stats.record({ type: 'request-sent', key: 'k', delayMs: delay - 0.5 });
    }
    stats.record({ type: 'permit-spent', key: 'k', ageMs: 80 });
    expect(stats.snapshot().sendDelays).toEqual({
      requests: 100,
      p50Ms: 50,
      p90Ms: 90,
      p99Ms: 99,
      maxMs: 99.5,
      spentPermits: 1,
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

  it('counts the wall-clock time during which some task waited on the limiter, never more than the run', () => {
    const time = clock();
    const stats = new RunStats(time.now);

    // Four tasks start at once under 9/1s: they wait 0.1, 0.2, 0.3 and 0.4 s, side by side.
    for (const waitMs of [100, 200, 300, 400]) stats.record({ type: 'limiter-wait', key: 'k', waitMs });
    time.advance(400);

    expect(stats.snapshot()).toMatchObject({ limiterWaitMs: 1000, limiterWallMs: 400, elapsedMs: 400 });
  });

  it('counts a wait still running only up to now, and adds the gaps between waits', () => {
    const time = clock();
    const stats = new RunStats(time.now);

    stats.record({ type: 'limiter-wait', key: 'a', waitMs: 300 });
    time.advance(100);
    expect(stats.snapshot().limiterWallMs).toBe(100);
    stats.record({ type: 'limiter-wait', key: 'b', waitMs: 500 }); // until 600
    time.advance(700); // 800: no task waits since 600
    stats.record({ type: 'limiter-wait', key: 'c', waitMs: 100 }); // 800 to 900
    time.advance(100);

    expect(stats.snapshot()).toMatchObject({ limiterWallMs: 700, elapsedMs: 900 });
  });

  it('reads requests per second that never exceed a limit of 9/1s, even in the first second', () => {
    const time = clock();
    const stats = new RunStats(time.now);
    const readings: number[] = [];

    // Permits 1/9 s apart, as a 9/1s limit grants them; a page arrives 50 ms after each.
    time.advance(50);
    for (let request = 0; request < 45; request += 1) {
      stats.record(page(50, 1, 0));
      readings.push(stats.snapshot().requestsPerSecond);
      time.advance(1000 / 9);
    }

    expect(Math.max(...readings)).toBeLessThanOrEqual(9);
    expect(readings.at(-1)).toBeGreaterThan(8.5);
  });

  it('measures requests per second over the last five seconds, so the figure falls when requests stop', () => {
    const time = clock();
    const stats = new RunStats(time.now);
    for (let request = 0; request < 20; request += 1) {
      stats.record(page(50, 1, 0));
      time.advance(100);
    }
    const running = stats.snapshot().requestsPerSecond;

    time.advance(3000);
    const paused = stats.snapshot().requestsPerSecond;
    time.advance(5000);

    expect(running).toBeCloseTo(9.5, 1);
    expect(paused).toBeLessThan(running / 2);
    expect(stats.snapshot().requestsPerSecond).toBe(0);
  });

  it('counts failed attempts as requests when they happen', () => {
    const time = clock();
    const stats = new RunStats(time.now);

    stats.record({ type: 'retry', key: 'k', retry: 1, delayMs: 200, error: new Error('HTTP 503') });
    time.advance(1000);
    stats.record(page(50, 2, 0));

    expect(stats.snapshot()).toMatchObject({ requests: 2, requestsPerSecond: 1 });
  });

  it('keeps the latest retry: its page, delay and the first line of its reason', () => {
    const time = clock();
    const stats = new RunStats(time.now);
    time.advance(700);

    stats.record({
      type: 'retry',
      key: 'abc',
      page: 4,
      retry: 2,
      delayMs: 2000,
      error: new Error('HTTP 503: Service Unavailable\n  at somewhere'),
    });

    expect(stats.snapshot().lastRetry).toEqual({
      page: 4,
      key: 'abc',
      retry: 2,
      delayMs: 2000,
      reason: 'HTTP 503: Service Unavailable',
      atMs: 700,
    });
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
