import { describe, expect, it } from 'vitest';
import { type CrawlCounts, crawlStateOf, isCrawlComplete } from './crawl-status.js';

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

describe('crawlStateOf', () => {
  it('says failed, not complete, when every task failed', () => {
    expect(crawlStateOf({ ...idle, completed: 0, failed: 3 }, 0)).toBe('failed');
  });

  it('says failed when some tasks failed and nothing more will run', () => {
    expect(crawlStateOf(idle, 0)).toBe('failed');
  });

  it('says complete when nothing failed', () => {
    expect(crawlStateOf({ ...idle, failed: 0 }, 0)).toBe('complete');
  });

  it('says running while tasks wait or run, even if some failed', () => {
    expect(crawlStateOf({ ...idle, waiting: 4 }, 0)).toBe('running');
    expect(crawlStateOf({ ...idle, active: 2 }, 0)).toBe('running');
  });

  it('says stalled when the worker of every active task stopped', () => {
    expect(crawlStateOf({ ...idle, active: 2, waiting: 5 }, 2)).toBe('stalled');
  });

  it('says running when some active tasks stalled but others run', () => {
    expect(crawlStateOf({ ...idle, active: 3 }, 1)).toBe('running');
  });
});
