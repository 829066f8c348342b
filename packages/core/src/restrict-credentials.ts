import type { CredentialResolver } from './credentials.js';
import { CapitalError } from './errors.js';

/**
 * A task asked for a credential reference that this process does not resolve for it: a job on
 * a shared queue may name any environment variable (`env:DB_PASSWORD`), so only the references
 * a connector declares, and those its operator allows, are ever resolved. Not retryable.
 */
export class CredentialRefusedError extends CapitalError {
  /** The reference refused, as the task gave it (at most 100 characters). */
  readonly reference: string;
  constructor(reference: string, allowed: readonly string[]) {
    const shown = JSON.stringify(reference.slice(0, 100));
    super(
      `Refused the credential reference ${shown}: this process resolves only ${allowed.join(', ') || 'none'}.`,
      { code: 'CREDENTIAL_REFUSED' },
    );
    this.reference = reference.slice(0, 100);
  }
  override name = 'CredentialRefusedError' as const;
}

/**
 * A resolver that resolves only the `allowed` references and refuses every other one before
 * reading anything: what a worker gives a connector's handler, so a task from the queue can
 * never make it read — and send — a variable the connector does not use.
 *
 * @throws {CredentialRefusedError} (from the resolver returned) for a reference not allowed.
 * @example restrictCredentials(createCredentialResolver(), [connector.credential.reference])
 */
export function restrictCredentials(
  resolve: CredentialResolver,
  allowed: Iterable<string>,
): CredentialResolver {
  const references = [...new Set(allowed)];
  const allowedSet = new Set(references);
  return (reference) => {
    if (typeof reference !== 'string' || !allowedSet.has(reference)) {
      throw new CredentialRefusedError(String(reference), references);
    }
    return resolve(reference);
  };
}
