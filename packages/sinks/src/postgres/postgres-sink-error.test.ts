import { describe, expect, it } from 'vitest';
import { PostgresSinkError, toPostgresSinkError } from './postgres-sink-error.js';

const location = 'postgres://db:5432/prod public.listings';
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('toPostgresSinkError', () => {
  it.each([
    [
      'a refused connection',
      withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'),
      'connect',
      'POSTGRES_UNREACHABLE',
      true,
    ],
    [
      'a name that does not resolve',
      withCode('getaddrinfo ENOTFOUND db', 'ENOTFOUND'),
      'connect',
      'POSTGRES_UNREACHABLE',
      false,
    ],
    [
      'a reset mid-statement',
      withCode('read ECONNRESET', 'ECONNRESET'),
      'query',
      'POSTGRES_CONNECTION_LOST',
      true,
    ],
    [
      'pg saying the connection ended',
      new Error('Connection terminated unexpectedly'),
      'query',
      'POSTGRES_CONNECTION_LOST',
      true,
    ],
    [
      'the server shutting down',
      withCode('terminating connection', '57P01'),
      'query',
      'POSTGRES_CONNECTION_LOST',
      true,
    ],
    [
      'a server starting up',
      withCode('the database system is starting up', '57P03'),
      'connect',
      'POSTGRES_UNREACHABLE',
      true,
    ],
    ['a class 08 error', withCode('connection failure', '08006'), 'query', 'POSTGRES_CONNECTION_LOST', true],
    ['a deadlock', withCode('deadlock detected', '40P01'), 'query', 'POSTGRES_CONFLICT', true],
    [
      'a wrong password',
      withCode('password authentication failed for user "app"', '28P01'),
      'connect',
      'POSTGRES_AUTH_FAILED',
      false,
    ],
    [
      'a missing database',
      withCode('database "prod" does not exist', '3D000'),
      'connect',
      'POSTGRES_DATABASE_MISSING',
      false,
    ],
    [
      'no unique index for ON CONFLICT',
      withCode('there is no unique or exclusion constraint', '42P10'),
      'query',
      'POSTGRES_TABLE_MISMATCH',
      false,
    ],
    [
      'a syntax error',
      withCode('syntax error at or near "x"', '42601'),
      'query',
      'POSTGRES_QUERY_FAILED',
      false,
    ],
  ] as const)('classifies %s', (_, error, phase, code, retryable) => {
    const classified = toPostgresSinkError(error, phase, location);

    expect(classified).toBeInstanceOf(PostgresSinkError);
    expect(classified).toMatchObject({ code, retryable, location, cause: error });
    expect(classified.message.startsWith(`PostgreSQL sink ${location}: `)).toBe(true);
    expect(classified.message).toContain(error.message);
  });

  it('keeps the SQLSTATE, in the message and as a field', () => {
    const classified = toPostgresSinkError(
      withCode('relation "x" does not exist', '42P01'),
      'query',
      location,
    );

    expect(classified).toMatchObject({ code: 'POSTGRES_TABLE_MISSING', sqlState: '42P01' });
    expect(classified.message).toMatch(/\(SQLSTATE 42P01\)$/);
  });

  it('cuts the secrets it is given out of the message', () => {
    const classified = toPostgresSinkError(new Error('bad password hunter2'), 'connect', location, [
      'hunter2',
    ]);

    expect(classified.message).not.toContain('hunter2');
  });

  it('returns a PostgresSinkError as it is', () => {
    const error = new PostgresSinkError('POSTGRES_TABLE_MISSING', 'gone', { location });
    expect(toPostgresSinkError(error, 'query', location)).toBe(error);
  });
});
