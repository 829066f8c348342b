import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCredentialResolver } from '../credentials.js';
import { createLimiterKeys } from './limiter-key.js';

const keysFor = (env: Record<string, string>, secret?: string) =>
  createLimiterKeys({ resolveCredential: createCredentialResolver(env), secret });

describe('createLimiterKeys', () => {
  it('gives two tokens behind the same reference two keys', () => {
    const first = keysFor({ WTD_API_TOKEN: 'token-one' }, 's3cret');
    const second = keysFor({ WTD_API_TOKEN: 'token-two' }, 's3cret');
    expect(first.forCredential('wtd', 'env:WTD_API_TOKEN')).not.toBe(
      second.forCredential('wtd', 'env:WTD_API_TOKEN'),
    );
  });

  it('gives one token behind two references one key', () => {
    const keys = keysFor({ A: 'same-token', B: 'same-token' }, 's3cret');
    expect(keys.forCredential('wtd', 'env:A')).toBe(keys.forCredential('wtd', 'env:B'));
  });

  it('gives one token one key without a secret too (the slow hash), in every process', () => {
    const keys = keysFor({ A: 'same-token', B: 'same-token', C: 'other-token' });
    const again = keysFor({ A: 'same-token' });
    expect(keys.forCredential('wtd', 'env:A')).toBe(keys.forCredential('wtd', 'env:B'));
    expect(keys.forCredential('wtd', 'env:A')).toBe(again.forCredential('wtd', 'env:A'));
    expect(keys.forCredential('wtd', 'env:C')).not.toBe(keys.forCredential('wtd', 'env:A'));
  });

  it('names the connector and neither the token, nor its reference, nor a plain hash of either', () => {
    const token = 'abc';
    for (const secret of ['s3cret', undefined]) {
      const key = keysFor({ WTD_API_TOKEN: token }, secret).forCredential('wtd', 'env:WTD_API_TOKEN');
      expect(key).toMatch(/^wtd:[0-9a-f]{32}$/);
      expect(key).not.toContain(token);
      expect(key).not.toContain('WTD_API_TOKEN');
      for (const plain of [token, 'env:WTD_API_TOKEN']) {
        const sha = createHash('sha256').update(plain).digest('hex');
        expect(key).not.toContain(sha.slice(0, 16));
      }
    }
  });

  it('depends on the secret: without it, a short token cannot be tried against the key', () => {
    const env = { WTD_API_TOKEN: '1234' };
    const one = keysFor(env, 'secret-one').forCredential('wtd', 'env:WTD_API_TOKEN');
    const two = keysFor(env, 'secret-two').forCredential('wtd', 'env:WTD_API_TOKEN');
    const none = keysFor(env).forCredential('wtd', 'env:WTD_API_TOKEN');
    expect(new Set([one, two, none]).size).toBe(3);
  });

  it('throws what the resolver throws for a reference it does not resolve', () => {
    expect(() => keysFor({}).forCredential('wtd', 'env:UNSET')).toThrow('UNSET is not set');
  });
});
