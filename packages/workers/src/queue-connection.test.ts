import { InvalidOptionError } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { redactRedisUrl, resolveQueueConnection } from './queue-connection.js';

describe('resolveQueueConnection', () => {
  it('fills in the queue capital, the prefix capital:queue and a 10 s connect bound', () => {
    expect(resolveQueueConnection({ redis: 'redis://127.0.0.1:6379' })).toEqual({
      redis: 'redis://127.0.0.1:6379',
      queue: 'capital',
      prefix: 'capital:queue',
      connectTimeoutMs: 10_000,
    });
  });

  it.each([
    [{ queue: 'a:b' }, 'queue'],
    [{ queue: '' }, 'queue'],
    [{ prefix: '' }, 'prefix'],
    [{ redis: 'http://127.0.0.1:6379' }, 'redis'],
    [{ connectTimeoutMs: 0 }, 'connectTimeoutMs'],
  ])('rejects %j, naming %s', (options, option) => {
    expect(() => resolveQueueConnection({ redis: 'redis://127.0.0.1', ...options })).toThrow(
      InvalidOptionError,
    );
    expect(() => resolveQueueConnection({ redis: 'redis://127.0.0.1', ...options })).toThrow(
      `Invalid option ${option}:`,
    );
  });

  it('never shows the password of a URL it rejects', () => {
    expect(() => resolveQueueConnection({ redis: 'http://user:s3cret@host' })).toThrow(/user:\*\*\*@host/);
  });
});

describe('redactRedisUrl', () => {
  it.each([
    ['redis://:s3cret@host:6379/0', 'redis://:***@host:6379/0'],
    ['rediss://app:s3cret@host', 'rediss://app:***@host'],
    ['redis://host:6379', 'redis://host:6379'],
    ['rediss://app:p@ss:w0rd@host:6380/1', 'rediss://app:***@host:6380/1'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactRedisUrl(url)).toBe(shown);
  });
});
