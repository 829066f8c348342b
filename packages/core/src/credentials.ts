import { CapitalError, InvalidOptionError } from './errors.js';
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
 * Looks up the secret a reference's name points to in one store (`vault:stripe/live` → the name
 * `stripe/live`). Synchronous, as every resolver is: fetch the store's secrets when the program
 * starts and look them up here. Returns `undefined` for a name the store does not hold.
 */
export type CredentialSource = (name: string) => string | undefined;

/** Options of {@link createCredentialResolver}. */
export type CredentialResolverOptions = {
  /**
   * Stores for references of other schemes than `env:`, by scheme: with `{ vault: lookup }`,
   * `vault:stripe/live` resolves to `lookup('stripe/live')`. A scheme is lower-case letters,
   * digits, `+`, `-` or `.`; `env` is the environment's and cannot be replaced.
   * @default {} (only `env:NAME` references)
   */
  readonly sources?: Readonly<Record<string, CredentialSource>>;
};

/**
 * Resolves `env:NAME` references from an environment, `process.env` by default, and references of
 * the schemes given in `options.sources` from those stores. `overrides` wins over the environment
 * (the CLI's `--token` lands there, so it is never exported).
 *
 * @throws {MissingCredentialError} for a scheme with no source, a variable that is unset or empty,
 * a name the source does not hold, or a source that fails (its error is not passed on: it may
 * hold the secret).
 * @example
 * createCredentialResolver()('env:WTD_API_TOKEN')
 * const secrets = await loadFromVault(); // a Map, fetched once at start
 * createCredentialResolver(process.env, {}, { sources: { vault: (name) => secrets.get(name) } })('vault:stripe/live')
 */
export function createCredentialResolver(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Readonly<Record<string, string | undefined>> = {},
  options: CredentialResolverOptions = {},
): CredentialResolver {
  const sources = new Map<string, CredentialSource>();
  for (const [scheme, source] of Object.entries(options.sources ?? {})) {
    if (!/^[a-z][a-z0-9+.-]*$/.test(scheme) || scheme === 'env' || typeof source !== 'function') {
      throw new InvalidOptionError('sources', `'${scheme}' is not a scheme a source can serve`);
    }
    sources.set(scheme, source);
  }
  const resolveEnv = (reference: string, name: string): string => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new MissingCredentialError(
        reference,
        'an env: reference names a variable: letters, digits and _.',
      );
    }
    const value = overrides[name] ?? env[name];
    if (!value) throw new MissingCredentialError(reference, `the environment variable ${name} is not set.`);
    return value;
  };
  return (reference) => {
    const colon = reference.indexOf(':');
    const scheme = colon > 0 ? reference.slice(0, colon) : '';
    const name = reference.slice(colon + 1);
    const source = sources.get(scheme);
    let value: string | undefined;
    if (scheme === 'env') value = resolveEnv(reference, name);
    else if (source === undefined || name === '') {
      const known = ['env', ...sources.keys()].map((known) => `${known}:NAME`).join(', ');
      throw new MissingCredentialError(reference, `only ${known} references are supported.`);
    } else {
      try {
        value = source(name);
      } catch (error) {
        throw new MissingCredentialError(
          reference,
          `the ${scheme} source failed (${error instanceof Error ? error.name : 'a non-error was thrown'}).`,
        );
      }
      if (typeof value !== 'string' || value === '')
        throw new MissingCredentialError(reference, `the ${scheme} source holds no ${name}.`);
    }
    // Every value handed out is redacted from errors and logs from now on (see `redactError`).
    rememberSecret(value);
    return value;
  };
}
