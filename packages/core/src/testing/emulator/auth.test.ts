import { describe, expect, it } from 'vitest';
import { bearerAuth, queryTokenAuth } from './auth.js';
import type { EmulatorRequest } from './route-table.js';

function request(query: string, headers: Record<string, string> = {}): EmulatorRequest {
  const url = new URL(`http://emulator.invalid/v1/x?${query}`);
  return { method: 'GET', url, path: url.pathname, headers, query: url.searchParams, params: {} };
}

describe('queryTokenAuth', () => {
  const check = queryTokenAuth({ param: 'api_token', tokens: ['demo', 'other'] });

  it('admits a known token, which becomes the principal', () => {
    expect(check(request('api_token=other'))).toEqual({ ok: true, principal: 'other' });
  });

  it('refuses a missing or unknown token with a message that never holds it', () => {
    expect(check(request(''))).toEqual({ ok: false, message: 'Invalid API token.' });
    const refused = check(request('api_token=leaked-xyz'));
    expect(refused.ok).toBe(false);
    expect(JSON.stringify(refused)).not.toContain('leaked-xyz');
  });

  it('takes its own message', () => {
    const custom = queryTokenAuth({ param: 'key', tokens: [], message: 'No.' });
    expect(custom(request('key=a'))).toEqual({ ok: false, message: 'No.' });
  });
});

describe('bearerAuth', () => {
  const check = bearerAuth({ tokens: ['sk_test_123'] });

  it('admits a known bearer token, whatever the case of the scheme', () => {
    expect(check(request('', { authorization: 'Bearer sk_test_123' }))).toEqual({
      ok: true,
      principal: 'sk_test_123',
    });
    expect(check(request('', { authorization: 'bearer sk_test_123' })).ok).toBe(true);
  });

  it('says the key is missing without the header, or with another scheme', () => {
    const missing = { ok: false, message: 'You did not provide an API key.' };
    expect(check(request(''))).toEqual(missing);
    expect(check(request('', { authorization: 'Basic c2tfdGVzdF8xMjM6' }))).toEqual(missing);
    expect(check(request('', { authorization: 'Bearer' }))).toEqual(missing);
  });

  it('refuses an unknown key without echoing it, and ignores a token in the query', () => {
    const refused = check(request('', { authorization: 'Bearer sk_live_leaked' }));
    expect(refused).toEqual({ ok: false, message: 'Invalid API key provided.' });
    expect(JSON.stringify(refused)).not.toContain('sk_live_leaked');
    expect(check(request('api_token=sk_test_123')).ok).toBe(false);
  });
});
