import { describe, expect, it } from 'vitest';
import { parseDurationFlag } from './parse-duration.js';

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
