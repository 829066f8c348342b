import { CapitalError } from './errors.js';
import { rememberSecret } from './redact/secret-registry.js';

/**
 * Turns a credential reference (`'env:WTD_API_TOKEN'`) into the secret it names. Tasks carry
 * references, never secrets, because tasks travel through queues, logs and task keys; each
 * worker resolves them from its own environment.
 */
export type CredentialResolver = (reference: string) => string;

/** A credential reference that names nothing, or names an empty variable. */
export class MissingCredentialError extends CapitalError {
  readonly reference: string;
  constructor(reference: string, hint: string) {
    super(`No credential for ${reference}: ${hint}`, { code: 'MISSING_CREDENTIAL' });
    this.reference = reference;
  }
  override name = 'MissingCredentialError' as const;
}

/**
 * Resolves `env:NAME` references from an environment, `process.env` by default. `overrides`
 * wins over the environment (the CLI's `--token` lands there, so it is never exported).
 *
 * @throws {MissingCredentialError} for another scheme, or a variable that is unset or empty.
 * @example createCredentialResolver()('env:WTD_API_TOKEN')
 */
export function createCredentialResolver(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Readonly<Record<string, string | undefined>> = {},
): CredentialResolver {
  return (reference) => {
    const match = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(reference);
    if (!match?.[1]) {
      throw new MissingCredentialError(reference, 'only env:NAME references are supported.');
    }
    const value = overrides[match[1]] ?? env[match[1]];
    if (!value)
      throw new MissingCredentialError(reference, `the environment variable ${match[1]} is not set.`);
    // Every value handed out is redacted from errors and logs from now on (see `redactError`).
    rememberSecret(value);
    return value;
  };
}

/**
 * Removes every occurrence of the given secrets from a text: the last line of defence for
 * messages built from third-party errors (an HTTP client's message may hold the request URL).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) {
    if (secret.length > 0) redacted = redacted.split(secret).join('[redacted]');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) redacted = redacted.split(encoded).join('[redacted]');
  }
  return redacted;
}
