import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultPostgresUser, withDefaultUser } from './default-postgres-user.js';

describe('defaultPostgresUser', () => {
  it('takes PGUSER first', () => {
    expect(defaultPostgresUser({ PGUSER: 'app', USER: 'someone' })).toBe('app');
  });

  it("falls back on the operating system's user, not on USER", () => {
    expect(defaultPostgresUser({})).toBe(userInfo().username);
    expect(defaultPostgresUser({ USER: 'someone-else' })).toBe(userInfo().username);
  });
});

describe('withDefaultUser', () => {
  it('fills in the default user when the URL names none', () => {
    expect(withDefaultUser('postgres://127.0.0.1:5432/test?sslmode=disable', { PGUSER: 'app user' })).toBe(
      'postgres://app%20user@127.0.0.1:5432/test?sslmode=disable',
    );
    expect(withDefaultUser('postgresql://127.0.0.1/test', {})).toBe(
      `postgresql://${encodeURIComponent(userInfo().username)}@127.0.0.1/test`,
    );
  });

  it('keeps the user the URL names', () => {
    expect(withDefaultUser('postgres://capital:pw@127.0.0.1/test', { PGUSER: 'app' })).toBe(
      'postgres://capital:pw@127.0.0.1/test',
    );
  });

  it('leaves strings that are not postgres:// URLs alone', () => {
    expect(withDefaultUser('not a url', { PGUSER: 'app' })).toBe('not a url');
  });
});
