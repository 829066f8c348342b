import { InvalidOptionError } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { resolveStartWorkerOptions } from './start-worker-options.js';

const base = { sink: {} as never, loadConnector: async () => ({}) as never };

describe('resolveStartWorkerOptions', () => {
  it('allows the worker’s own base URL and those it is given, and nothing by default', () => {
    expect(resolveStartWorkerOptions(base).baseUrls).toEqual({ default: undefined, allowed: [] });
    expect(
      resolveStartWorkerOptions({ ...base, baseUrl: 'http://a.test', allowedBaseUrls: ['https://b.test/v1'] })
        .baseUrls,
    ).toEqual({ default: 'http://a.test', allowed: ['http://a.test', 'https://b.test/v1'] });
  });

  it('sets no depth limit unless asked: a long cursor chain is not an error', () => {
    expect(resolveStartWorkerOptions(base).maxDepth).toBe(Number.POSITIVE_INFINITY);
    expect(resolveStartWorkerOptions({ ...base, maxDepth: 50 }).maxDepth).toBe(50);
  });

  it.each([
    ['a depth limit that is not a whole number', { maxDepth: 2.5 }],
    ['a URL with credentials in it', { baseUrl: 'http://user:pw@a.test' }],
    ['a URL that is not http(s)', { allowedBaseUrls: ['file:///etc'] }],
    ['an empty credential reference', { allowedCredentials: [''] }],
  ])('refuses %s', (_what, options) => {
    expect(() => resolveStartWorkerOptions({ ...base, ...options })).toThrow(InvalidOptionError);
  });

  it('takes the limiter keys’ secret from the option, else CAPITAL_KEY_SECRET', () => {
    expect(resolveStartWorkerOptions({ ...base, keySecret: 'given' }).keySecret).toBe('given');
    const saved = process.env.CAPITAL_KEY_SECRET;
    process.env.CAPITAL_KEY_SECRET = 'from-env';
    try {
      expect(resolveStartWorkerOptions(base).keySecret).toBe('from-env');
    } finally {
      if (saved === undefined) delete process.env.CAPITAL_KEY_SECRET;
      else process.env.CAPITAL_KEY_SECRET = saved;
    }
  });
});
