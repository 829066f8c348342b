import { describe, expect, it } from 'vitest';
import { createCredentialResolver } from './credentials.js';
import { CredentialRefusedError, restrictCredentials } from './restrict-credentials.js';
import { isRetryable } from './retry/retry-policy.js';

const env = { WTD_API_TOKEN: 'the-token', MY_DB_PASSWORD: 'db-password-value' };

describe('restrictCredentials', () => {
  it('resolves the references allowed', () => {
    const resolve = restrictCredentials(createCredentialResolver(env), ['env:WTD_API_TOKEN']);
    expect(resolve('env:WTD_API_TOKEN')).toBe('the-token');
  });

  it('refuses any other reference without reading it, naming it but not its value', () => {
    let reads = 0;
    const resolve = restrictCredentials(
      (reference) => {
        reads += 1;
        return createCredentialResolver(env)(reference);
      },
      ['env:WTD_API_TOKEN'],
    );
    const error = (() => {
      try {
        resolve('env:MY_DB_PASSWORD');
      } catch (thrown) {
        return thrown as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CredentialRefusedError);
    expect(error?.message).toBe(
      'Refused the credential reference "env:MY_DB_PASSWORD": this process resolves only env:WTD_API_TOKEN.',
    );
    expect(error?.message).not.toContain('db-password-value');
    expect(isRetryable(error)).toBe(false);
    expect(reads).toBe(0);
  });

  it('refuses what is not a string, and shows at most 100 characters of a long reference', () => {
    const resolve = restrictCredentials(createCredentialResolver(env), []);
    expect(() => resolve(42 as unknown as string)).toThrow(CredentialRefusedError);
    expect(() => resolve(`env:${'A'.repeat(500)}`)).toThrow(/"env:A{96}": this process resolves only none/);
  });
});
