import { describe, expect, it } from 'vitest';
import { maxInRollingWindow, StatsRecorder } from './emulator-stats.js';

describe('StatsRecorder', () => {
  it('counts answers by status, route and refusing limit, with malformed bodies, resets and records', () => {
    const stats = new StatsRecorder();
    stats.answered({ status: 200, route: 'a', served: { key: 'p2', records: 10 } });
    stats.answered({ status: 200, route: 'a', served: { key: 'p1', records: 3 } });
    stats.answered({ status: 200, route: 'a', served: { key: 'p2', records: 10 } });
    stats.answered({ status: 429, route: 'b', limited: 'global' });
    stats.answered({ status: 200, route: 'b', malformed: true });
    stats.answered({ status: 'reset', route: 'b' });
    expect(stats.snapshot()).toMatchObject({
      requests: 6,
      byStatus: { 200: 4, 429: 1 },
      byRoute: { a: 3, b: 3 },
      limited: { global: 1 },
      malformed: 1,
      resets: 1,
      records: 23,
      served: { p1: 1, p2: 2 },
    });
    expect(Object.keys(stats.snapshot().served)).toEqual(['p1', 'p2']);
  });

  it('tracks requests in flight and the most at once, and keeps the in-flight ones through a reset', () => {
    const stats = new StatsRecorder();
    stats.started();
    stats.started();
    stats.finished();
    stats.started();
    stats.started();
    expect(stats.snapshot()).toMatchObject({ inFlight: 3, maxInFlight: 3 });
    stats.reset();
    stats.finished();
    expect(stats.snapshot()).toMatchObject({ inFlight: 2, maxInFlight: 3 });
  });

  it('keeps arrival times per token, as copies', () => {
    const stats = new StatsRecorder();
    stats.arrived('a', 1);
    stats.arrived('b', 2);
    stats.arrived('a', 3);
    const snapshot = stats.snapshot();
    expect(snapshot.arrivals).toEqual({ a: [1, 3], b: [2] });
    stats.arrived('a', 4);
    expect(snapshot.arrivals.a).toEqual([1, 3]);
    stats.reset();
    expect(stats.snapshot()).toMatchObject({ requests: 0, arrivals: {}, served: {}, byStatus: {} });
  });

  it('keeps the busiest rolling second per token without keeping arrivals, as maxInRollingWindow counts it', () => {
    const times = [5, 5, 5, 900, 1800, 1850, 1900, 2000, 2001];
    const stats = new StatsRecorder(false);
    for (const time of times) stats.arrived('a', time);
    stats.arrived('b', 7);
    expect(stats.snapshot()).toMatchObject({
      arrivals: {},
      maxPerSecond: { a: maxInRollingWindow(times, 1000), b: 1 },
    });
    stats.reset();
    expect(stats.snapshot().maxPerSecond).toEqual({});
  });
});

describe('maxInRollingWindow', () => {
  it('counts the most arrivals in any window, a window ending before its last millisecond', () => {
    expect(maxInRollingWindow([], 1000)).toBe(0);
    expect(maxInRollingWindow([0, 100, 999, 1000], 1000)).toBe(3);
    expect(maxInRollingWindow([0, 1000, 2000], 1000)).toBe(1);
    expect(maxInRollingWindow([5, 5, 5, 900, 1800, 1850], 1000)).toBe(4);
  });
});
