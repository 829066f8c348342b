import { describe, expect, it } from 'vitest';
import { NonRetryableError, TransientError } from '../errors.js';
import { readJsonBody } from './read-json-body.js';
import { requestFailure } from './request-failure.js';

const token = 'tok en/+"é&9f2c';
const secrets = [token];

describe('requestFailure', () => {
  it('gives the signal’s reason when the request was aborted', () => {
    const controller = new AbortController();
    const reason = new Error('stopped by the user');
    controller.abort(reason);
    expect(requestFailure(new Error('whatever'), { signal: controller.signal, timeoutMs: 5, secrets })).toBe(
      reason,
    );
  });

  it('makes a timeout a retryable TIMEOUT', () => {
    const timeout = Object.assign(new Error(`Request timed out: GET /x?api_token=${token}`), {
      name: 'TimeoutError',
    });
    const error = requestFailure(timeout, { timeoutMs: 1500, secrets });
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: 'The request timed out after 1500 ms.' });
  });

  it('makes a network failure a retryable NETWORK error without any spelling of the token', () => {
    const cause = Object.assign(new Error(`connect ECONNREFUSED for ${encodeURIComponent(token)}`), {
      code: 'ECONNREFUSED',
    });
    const error = requestFailure(new TypeError(`fetch failed: /x?api_token=${token}`, { cause }), {
      timeoutMs: 5,
      secrets,
    });
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'NETWORK' });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain(encodeURIComponent(token));
    expect(error.cause).toBeUndefined();
  });

  it('makes any other failure permanent', () => {
    expect(requestFailure(new RangeError('bad URL'), { timeoutMs: 5, secrets })).toBeInstanceOf(
      NonRetryableError,
    );
  });
});

describe('readJsonBody', () => {
  it('parses a JSON body and reports its size', async () => {
    const sizes: number[] = [];
    const body = await readJsonBody(new Response('{"a":"é"}'), { secrets, onBytes: (n) => sizes.push(n) });
    expect(body).toEqual({ json: { a: 'é' } });
    expect(sizes).toEqual([10]);
  });

  it('quotes the start of a body that is not JSON, redacted before it is cut', async () => {
    // The token starts at character 50: a 60-character cut would keep its first 10 characters.
    const body = await readJsonBody(new Response(`${'<'.repeat(50)}${token} is unknown`), { secrets });
    expect(body).toEqual({ unparsable: `${'<'.repeat(50)}[redacted]` });
  });
});
