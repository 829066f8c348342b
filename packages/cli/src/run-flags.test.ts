import { describe, expect, it } from 'vitest';
import { describeRun, parseRunChoice, parseSinceFlag, parseWriteFlag } from './run-flags.js';

describe('the run flags', () => {
  it('reads --write append|merge|replace and refuses anything else', () => {
    expect(parseWriteFlag('append')).toBe('append');
    expect(parseWriteFlag('replace')).toBe('replace');
    expect(() => parseWriteFlag('upsert')).toThrow(/--write takes append, merge or replace/);
  });

  it('reads --resume RUN and --fresh, not both, and only run ids of 8 hex digits', () => {
    expect(parseRunChoice(undefined, undefined)).toEqual({ kind: 'auto' });
    expect(parseRunChoice(undefined, true)).toEqual({ kind: 'fresh' });
    expect(parseRunChoice('0a1b2c3d', undefined)).toEqual({ kind: 'resume', id: '0a1b2c3d' });
    expect(() => parseRunChoice('0a1b2c3d', true)).toThrow(/not both/);
    expect(() => parseRunChoice("x'; DROP", undefined)).toThrow(/8 hex digits/);
  });

  it('reads --since as a date, a date-time or epoch seconds', () => {
    expect(parseSinceFlag('2026-11-01')?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseSinceFlag('2026-11-01T12:30:00Z')?.toISOString()).toBe('2026-11-01T12:30:00.000Z');
    expect(parseSinceFlag('1764547200')?.toISOString()).toBe('2025-12-01T00:00:00.000Z');
    expect(() => parseSinceFlag('yesterday')).toThrow(/--since takes a date/);
  });

  it('opens with which run it writes: a resumed one with its pages stored, or a new one', () => {
    const run = {
      id: '0a1b2c3d',
      job: 'wtd {}',
      state: 'running',
      disposition: 'merge',
      startedAt: 0,
      pages: 5,
    } as const;
    const plan = { seeds: [], since: undefined, reason: 'full refresh: wtd has no cursor field' };

    expect(describeRun({ run, resumed: true, pagesStored: 5, watermark: undefined }, plan)).toBe(
      'resuming run 0a1b2c3d (interrupted, 5 pages stored), --write merge; full refresh: wtd has no cursor field',
    );
    expect(describeRun({ run, resumed: false, pagesStored: 0, watermark: undefined }, plan)).toBe(
      'new run 0a1b2c3d, --write merge; full refresh: wtd has no cursor field',
    );
  });
});
