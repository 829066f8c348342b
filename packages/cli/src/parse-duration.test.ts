import { describe, expect, it } from 'vitest';
import { CliUsageError } from './cli-error.js';
import { parseDeferAfterFlag, parseDurationFlag } from './parse-duration.js';

describe('parseDurationFlag', () => {
  it.each([
    ['30s', 30_000],
    ['30', 30_000],
    ['0', 0],
    ['500ms', 500],
    ['2m', 120_000],
    ['1.5h', 5_400_000],
    [' 10 s ', 10_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDurationFlag('--d', text)).toBe(ms);
  });

  it.each(['', 's', '-1s', '10x', '1e3', '10 seconds', 'Infinity', '9999h'])(
    'refuses %j as a usage error naming the flag',
    (text) => {
      expect(() => parseDurationFlag('--sink-retry-budget', text)).toThrow(
        expect.objectContaining({
          code: 'CLI_USAGE',
          message: expect.stringContaining('--sink-retry-budget'),
        }),
      );
    },
  );
});

describe('parseDeferAfterFlag', () => {
  it('defaults to 5 minutes, reads durations, and "off" never defers', () => {
    expect(parseDeferAfterFlag(undefined)).toBe(300_000);
    expect(parseDeferAfterFlag('1h')).toBe(3_600_000);
    expect(parseDeferAfterFlag('1s')).toBe(1000);
    expect(parseDeferAfterFlag('off')).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => parseDeferAfterFlag('-5m')).toThrow(CliUsageError);
    expect(() => parseDeferAfterFlag('soon')).toThrow(/--defer-after/);
  });
});
