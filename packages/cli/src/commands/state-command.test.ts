import type { RunInfo } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { describeRuns } from './state-command.js';

const run: RunInfo = {
  id: '1a2b3c4d',
  job: 'wtd {}',
  state: 'interrupted',
  disposition: 'merge',
  startedAt: Date.UTC(2026, 10, 29, 16, 0, 0),
  pages: 3,
};

describe('describeRuns', () => {
  it('says when a deferred run can resume', () => {
    const text = describeRuns('wtd {}', 'file out.ndjson', [
      { ...run, resumeAt: Date.UTC(2026, 10, 29, 17, 0, 0) },
    ]);
    expect(text).toContain(
      '1a2b3c4d  interrupted  merge         3  2026-11-29T16:00:00.000Z  -  deferred: resumes at 2026-11-29T17:00:00.000Z\n',
    );
  });

  it('prints no deferral for a run that was not deferred, or has finished', () => {
    expect(describeRuns('wtd {}', 'f', [run])).not.toContain('deferred');
    expect(describeRuns('wtd {}', 'f', [{ ...run, state: 'finished', resumeAt: 1 }])).not.toContain(
      'deferred',
    );
  });
});
