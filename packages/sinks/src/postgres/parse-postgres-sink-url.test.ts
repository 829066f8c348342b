import { describe, expect, it } from 'vitest';
import { parsePostgresSinkUrl, redactUrl } from './parse-postgres-sink-url.js';

describe('parsePostgresSinkUrl', () => {
  it('takes the schema and table out of the URL and leaves the rest to pg', () => {
    expect(
      parsePostgresSinkUrl('postgres://capital@127.0.0.1:5432/test?schema=s1&table=listings&sslmode=disable'),
    ).toEqual({
      connection: 'postgres://capital@127.0.0.1:5432/test?sslmode=disable',
      schema: 's1',
      table: 'listings',
    });
  });

  it('accepts postgresql://, a password, percent-encoded names and connect_timeout in seconds', () => {
    expect(
      parsePostgresSinkUrl(
        'postgresql://app:p%40ss@db.internal/prod?table=my%20table&pages_table=p&connect_timeout=5',
      ),
    ).toEqual({
      connection: 'postgresql://app:p%40ss@db.internal/prod',
      table: 'my table',
      pagesTable: 'p',
      connectTimeoutMs: 5000,
    });
  });

  it('gives only the connection when the URL names no table', () => {
    expect(parsePostgresSinkUrl('postgres://127.0.0.1/test')).toEqual({
      connection: 'postgres://127.0.0.1/test',
    });
  });

  it.each([
    ['another scheme', 'mysql://app:hunter2@db/prod', /is not a postgres:\/\/ URL/],
    ['text that is no URL', 'postgres://app:hunter2@[db/prod', /is not a URL/],
    ['an empty table', 'postgres://app:hunter2@db/prod?table=', /needs one non-empty \?table=/],
    [
      'two schemas',
      'postgres://app:hunter2@db/prod?schema=a&schema=b',
      /needs one non-empty \?schema=, got 2/,
    ],
    [
      'a fractional timeout',
      'postgres://app:hunter2@db/prod?connect_timeout=0.5',
      /connect_timeout is in whole seconds/,
    ],
  ])('refuses %s with INVALID_OPTION, never echoing the password', (_, url, message) => {
    const attempt = () => parsePostgresSinkUrl(url);

    expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'sink' }));
    expect(attempt).toThrow(message);
    expect(attempt).not.toThrow(/hunter2/);
    expect(attempt).toThrow(/app:\*\*\*@/);
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://app:s3cret@db/prod', 'postgres://app:***@db/prod'],
    ['postgres://app:s3@cr3t@db:5432/prod?x=1', 'postgres://app:***@db:5432/prod?x=1'],
    ['postgres://:s3cret@db/prod', 'postgres://:***@db/prod'],
    ['postgres://app@db/prod', 'postgres://app@db/prod'],
    ['postgres://db/prod?password=x', 'postgres://db/prod?password=x'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
