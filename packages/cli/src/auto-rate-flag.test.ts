import { describe, expect, it } from 'vitest';
import { parseAutoRate } from './auto-rate-flag.js';
import { CliUsageError } from './cli-error.js';

describe('parseAutoRate', () => {
  it('is undefined for a rate that is not auto', () => {
    expect(parseAutoRate('--rate', '9/1s')).toBeUndefined();
    expect(parseAutoRate('--rate', 'off')).toBeUndefined();
  });

  it('reads auto alone: no ceiling, 1/1s for layered keys and the fallback', () => {
    expect(parseAutoRate('--rate', 'auto')).toEqual({
      adaptive: { maxPerSecond: undefined, initialPerSecond: undefined },
      rate: { limit: 1, periodMs: 1000, burst: 1 },
    });
  });

  it('reads a ceiling and a start, in permits per second', () => {
    expect(parseAutoRate('--rate', 'AUTO, max=120/1m, start=5/1s')).toEqual({
      adaptive: { maxPerSecond: 2, initialPerSecond: 5 },
      rate: { limit: 120, periodMs: 60_000, burst: 1 },
    });
  });

  it.each(['auto,max=lots', 'auto,speed=9/1s', 'auto,max=-1/1s'])('refuses %s, naming the flag', (text) => {
    expect(() => parseAutoRate('--rate', text)).toThrow(CliUsageError);
    expect(() => parseAutoRate('--rate', text)).toThrow(/--rate auto takes max=RATE/);
  });
});
