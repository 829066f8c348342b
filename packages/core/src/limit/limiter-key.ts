import { createHmac, scryptSync } from 'node:crypto';
import type { CredentialResolver } from '../credentials.js';

/**
 * Makes limiter keys from credentials, for a connector's `limiterKey`. A key names the
 * *account*, not the reference: two tokens on one Redis never share a budget, and one token
 * reached through two references (`env:A`, `env:B`) shares one.
 */
export type LimiterKeys = {
  /**
   * The limiter key of the credential that `reference` resolves to: `wtd:9f0c…` — the
   * connector's name and a keyed hash of the credential, never the credential itself.
   *
   * @throws whatever the resolver throws for a reference it does not resolve.
   */
  forCredential(connector: string, reference: string): string;
};

/** Options of {@link createLimiterKeys}. */
export type LimiterKeysOptions = {
  /** Resolves a task's credential reference to the credential. */
  readonly resolveCredential: CredentialResolver;
  /**
   * The deployment's secret (`CAPITAL_KEY_SECRET`): keys are HMAC-SHA256 of the credential
   * under it, so a key reveals nothing about even a short token to whoever reads Redis. Every
   * process that shares a limit must have the same secret.
   * @default undefined — a slow hash (scrypt, the project's fixed salt) instead: a guess costs
   * tens of milliseconds, but a short or guessable token can still be found; set a secret.
   */
  readonly secret?: string | undefined;
};

/** The salt of the slow hash without a secret: fixed, so every process computes the same key. */
const projectSalt = 'capital-connectors/limiter-key/v1';
/** scrypt's cost: 16 MiB and some tens of milliseconds per credential, once per process. */
const scryptCost = { N: 2 ** 14, r: 8, p: 1 } as const;
/** Hashes kept per process, so the slow hash runs once per credential. */
const cacheLimit = 1024;

/**
 * Makes limiter keys from credentials (see {@link LimiterKeys}).
 *
 * @example
 * const keys = createLimiterKeys({ resolveCredential, secret: process.env.CAPITAL_KEY_SECRET });
 * keys.forCredential('wtd', 'env:WTD_API_TOKEN') // 'wtd:3a7d…' (32 hex digits)
 */
export function createLimiterKeys(options: LimiterKeysOptions): LimiterKeys {
  const secret = options.secret === '' ? undefined : options.secret;
  const hashes = new Map<string, string>();
  const hashOf = (credential: string): string => {
    let hash = hashes.get(credential);
    if (hash === undefined) {
      hash =
        secret === undefined
          ? scryptSync(credential, projectSalt, 16, scryptCost).toString('hex')
          : createHmac('sha256', secret).update(credential).digest('hex').slice(0, 32);
      if (hashes.size >= cacheLimit) hashes.clear();
      hashes.set(credential, hash);
    }
    return hash;
  };
  return {
    forCredential: (connector, reference) => `${connector}:${hashOf(options.resolveCredential(reference))}`,
  };
}
