import { InvalidOptionError } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { crawlJobOptions, inheritedJobOptions } from './crawl-job-options.js';

describe('crawlJobOptions', () => {
  it('retries 6 attempts with the crawl backoff, keeps completed ids 7 days and failed jobs for good', () => {
    expect(crawlJobOptions()).toEqual({
      attempts: 6,
      backoff: { type: 'capital' },
      removeOnComplete: { age: 604_800 },
      removeOnFail: false,
    });
  });

  it('takes other attempts and retention', () => {
    expect(crawlJobOptions({ attempts: 1, keepCompletedSeconds: 60 })).toMatchObject({
      attempts: 1,
      removeOnComplete: { age: 60 },
    });
  });

  it.each([[{ attempts: 0 }], [{ attempts: 1.5 }], [{ attempts: 101 }], [{ keepCompletedSeconds: 0 }]])(
    'rejects %j',
    (options) => {
      expect(() => crawlJobOptions(options)).toThrow(InvalidOptionError);
    },
  );
});

describe('inheritedJobOptions', () => {
  it('passes a seed job’s attempts, backoff and retention on to its next tasks', () => {
    const seed = { ...crawlJobOptions({ attempts: 2, keepCompletedSeconds: 30 }), jobId: 'seed', delay: 5 };
    expect(inheritedJobOptions(seed)).toEqual({
      attempts: 2,
      backoff: { type: 'capital' },
      removeOnComplete: { age: 30 },
      removeOnFail: false,
    });
  });

  it('falls back on the defaults for a job added without them', () => {
    expect(inheritedJobOptions({})).toEqual(crawlJobOptions());
  });

  it('passes on nothing out of bounds from a job written by someone else', () => {
    const hostile = {
      attempts: 1e9,
      backoff: { type: 'fixed', delay: 0 },
      removeOnComplete: true,
      removeOnFail: true,
    };
    expect(inheritedJobOptions(hostile)).toEqual(crawlJobOptions());
  });
});
