import { createHash } from 'node:crypto';

/**
 * The limiter key for a connector and a credential *reference*: `wtd:5f1c…`. Every process that
 * uses the same credentials on the same API shares the key; the token itself never appears in it.
 */
export function limiterKey(connector: string, credentialReference: string): string {
  return `${connector}:${createHash('sha256').update(credentialReference).digest('hex').slice(0, 16)}`;
}
