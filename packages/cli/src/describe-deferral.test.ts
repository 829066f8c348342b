import { RunDeferredError } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { describeDeferral, describeStillDeferred } from './describe-deferral.js';

const now = Date.UTC(2026, 10, 29, 16, 0, 0);

describe('describeDeferral', () => {
  it('says the pause asked for, the run, its pages, and when it can resume in UTC and from now', () => {
    const error = new RunDeferredError({ resumeAt: now + 3_600_000, waitMs: 3_600_000 });
    expect(describeDeferral(error, { runId: '1a2b3c4d', pages: 3, now: now + 2000 })).toBe(
      'deferred: the API asked to pause for 1 h 0 min; run 1a2b3c4d stored 3 pages and can resume at ' +
        '2026-11-29 17:00:00 UTC (in 59 min 58 s): run the same command again then.',
    );
  });

  it('says "the run" on a sink without runs, one page in the singular, and 0 s once the time has passed', () => {
    const error = new RunDeferredError({ resumeAt: now + 400_000, waitMs: 400_000 });
    expect(describeDeferral(error, { runId: undefined, pages: 1, now: now + 500_000 })).toBe(
      'deferred: the API asked to pause for 6 min 40 s; the run stored 1 page and can resume at ' +
        '2026-11-29 16:06:40 UTC (in 0 s): run the same command again then.',
    );
  });
});

describe('describeStillDeferred', () => {
  it('names the deferred run, when it can resume, that nothing was sent, and --fresh', () => {
    const run = {
      id: '1a2b3c4d',
      job: 'wtd {}',
      state: 'interrupted',
      disposition: 'merge',
      startedAt: now - 60_000,
      pages: 3,
      resumeAt: now + 3_600_000,
    } as const;
    const error = new RunDeferredError({ resumeAt: run.resumeAt, waitMs: 2_525_000 });
    expect(describeStillDeferred(run, error, now + 1_075_000)).toBe(
      'deferred: run 1a2b3c4d was deferred by the API and can resume at 2026-11-29 17:00:00 UTC ' +
        '(in 42 min 5 s): nothing was sent; run the same command again then, or pass --fresh for a new run.',
    );
  });
});
