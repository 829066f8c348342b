import { describe, expect, it } from 'vitest';
import { type CrawlCounts, isCrawlComplete } from './crawl-status.js';

const idle: CrawlCounts = {
  waiting: 0,
  active: 0,
  delayed: 0,
  prioritized: 0,
  waitingChildren: 0,
  completed: 49,
  failed: 2,
};

describe('isCrawlComplete', () => {
  it('says complete when nothing waits or runs, whatever completed or failed', () => {
    expect(isCrawlComplete(idle)).toBe(true);
  });

  it.each(['waiting', 'active', 'delayed', 'prioritized', 'waitingChildren'] as const)(
    'says not complete while a job is %s',
    (state) => {
      expect(isCrawlComplete({ ...idle, [state]: 1 })).toBe(false);
    },
  );
});
