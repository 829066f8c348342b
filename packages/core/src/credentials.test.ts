import { describe, expect, it } from 'vitest';
import { createCredentialResolver, MissingCredentialError } from './credentials.js';
import { InvalidOptionError } from './errors.js';
import { redactError } from './redact/redact-error.js';

describe('createCredentialResolver', () => {
  it('resolves env:NAME from the environment, overrides first', () => {
    const resolve = createCredentialResolver({ A: 'from-env', B: 'env-b' }, { B: 'override-b' });
    expect(resolve('env:A')).toBe('from-env');
    expect(resolve('env:B')).toBe('override-b');
  });

  it('resolves vault:NAME from the source the user plugs in, by the name after the scheme', () => {
    const vault = new Map([['stripe/live', 'sk_live_from_vault']]);
    const resolve = createCredentialResolver({}, {}, { sources: { vault: (name) => vault.get(name) } });
    expect(resolve('vault:stripe/live')).toBe('sk_live_from_vault');
  });

  it('redacts a secret a source handed out from errors from then on', () => {
    const resolve = createCredentialResolver({}, {}, { sources: { vault: () => 'vault-secret-7f3a' } });
    const secret = resolve('vault:any');
    expect(redactError(new Error(`GET /?token=${secret} failed`)).message).not.toContain(secret);
  });

  it('refuses a scheme no source serves, a name the source lacks and a source that throws, without its message', () => {
    const resolve = createCredentialResolver(
      {},
      {},
      {
        sources: {
          vault: () => undefined,
          broken: () => {
            throw new Error('vault said: secret-in-error');
          },
        },
      },
    );
    expect(() => resolve('aws:x')).toThrow(/only env:NAME, vault:NAME, broken:NAME references/);
    expect(() => resolve('vault:missing')).toThrow(MissingCredentialError);
    expect(() => resolve('broken:x')).toThrow(/the broken source failed \(Error\)/);
    expect(() => resolve('broken:x')).not.toThrow(/secret-in-error/);
    expect(() => resolve('env:UNSET')).toThrow(/UNSET is not set/);
  });

  it('refuses to replace env or to serve a scheme that is not one', () => {
    expect(() => createCredentialResolver({}, {}, { sources: { env: () => 'x' } })).toThrow(
      InvalidOptionError,
    );
    expect(() => createCredentialResolver({}, {}, { sources: { 'Va ult': () => 'x' } })).toThrow(
      InvalidOptionError,
    );
  });
});
