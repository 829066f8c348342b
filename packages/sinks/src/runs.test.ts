import type { RunInfo } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { chooseRun, jobName, stillDeferred } from './runs.js';

const run = (
  id: string,
  state: RunInfo['state'],
  disposition: RunInfo['disposition'] = 'merge',
): RunInfo => ({
  id,
  job: 'wtd {}',
  state,
  disposition,
  startedAt: 0,
  pages: 0,
});

describe('chooseRun', () => {
  it('resumes the latest run when it is unfinished, running (its process died) or interrupted', () => {
    expect(chooseRun([run('b', 'interrupted'), run('a', 'finished')], { kind: 'auto' }, 'merge')?.id).toBe(
      'b',
    );
    expect(chooseRun([run('b', 'running')], { kind: 'auto' }, 'merge')?.id).toBe('b');
  });

  it('starts a new run when the latest finished, when asked to, or when there is none', () => {
    expect(
      chooseRun([run('b', 'finished'), run('a', 'interrupted')], { kind: 'auto' }, 'merge'),
    ).toBeUndefined();
    expect(chooseRun([run('b', 'interrupted')], { kind: 'fresh' }, 'merge')).toBeUndefined();
    expect(chooseRun([], { kind: 'auto' }, 'merge')).toBeUndefined();
  });

  it('resumes a named run, and refuses one the job has not, or that finished', () => {
    const runs = [run('b', 'finished'), run('a', 'interrupted')];

    expect(chooseRun(runs, { kind: 'resume', id: 'a' }, 'merge')?.id).toBe('a');
    expect(() => chooseRun(runs, { kind: 'resume', id: 'b' }, 'merge')).toThrow(/has finished/);
    expect(() => chooseRun(runs, { kind: 'resume', id: 'c' }, 'merge')).toThrow(
      expect.objectContaining({ code: 'RUN_NOT_FOUND' }),
    );
  });

  it('refuses to resume a run started with another disposition', () => {
    expect(() => chooseRun([run('a', 'interrupted', 'replace')], { kind: 'auto' }, 'merge')).toThrow(
      expect.objectContaining({ code: 'RUN_DISPOSITION_MISMATCH' }),
    );
  });
});

describe('jobName', () => {
  it('names a job by its connector and its parameters in sorted order', () => {
    expect(jobName('wtd', { search: 'new york', a: '1' })).toBe('wtd {"a":"1","search":"new york"}');
    expect(jobName('wtd', { a: '1', search: 'new york' })).toBe(
      jobName('wtd', { search: 'new york', a: '1' }),
    );
  });
});

describe('stillDeferred', () => {
  const deferred = (id: string, resumeAt: number): RunInfo => ({ ...run(id, 'interrupted'), resumeAt });

  it('names the run auto or --resume would take while its resumeAt is still to come', () => {
    expect(stillDeferred([deferred('b', 2000), run('a', 'finished')], { kind: 'auto' }, 1000)?.id).toBe('b');
    expect(
      stillDeferred([run('c', 'running'), deferred('b', 2000)], { kind: 'resume', id: 'b' }, 1000)?.id,
    ).toBe('b');
  });

  it('lets the run go once its time has come, or when --fresh starts another', () => {
    expect(stillDeferred([deferred('b', 2000)], { kind: 'auto' }, 2000)).toBeUndefined();
    expect(stillDeferred([deferred('b', 2000)], { kind: 'fresh' }, 1000)).toBeUndefined();
  });

  it('holds back no run that was not deferred, nor one another run superseded', () => {
    expect(stillDeferred([run('b', 'interrupted')], { kind: 'auto' }, 1000)).toBeUndefined();
    expect(
      stillDeferred([run('c', 'finished'), deferred('b', 2000)], { kind: 'auto' }, 1000),
    ).toBeUndefined();
    expect(stillDeferred([], { kind: 'auto' }, 1000)).toBeUndefined();
  });
});
