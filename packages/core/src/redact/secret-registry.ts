/**
 * Every secret value this process has handed out (the credential resolver records each one it
 * returns), so that one choke point can take them out of every error and log line, whichever
 * connector or third-party body put them there. Process-wide on purpose: an error may leave a
 * handler long after, and far from, the resolver that resolved its token.
 */
const registryKey = Symbol.for('capital.handedOutSecrets');
// On `globalThis` under a registered symbol, so that two copies of this package (a duplicate
// install) share one registry, as they share one brand of errors.
const slots = globalThis as unknown as Record<symbol, Set<string> | undefined>;
slots[registryKey] ??= new Set<string>();
const handedOut = slots[registryKey];

/**
 * Records a secret, so that {@link redactText} removes it from then on. Empty values are ignored.
 * @example rememberSecret(process.env.ACME_TOKEN ?? '')
 */
export function rememberSecret(secret: string): void {
  if (secret.length > 0) handedOut.add(secret);
}

/** The secrets recorded so far, longest first (so a secret holding another is removed whole). */
export function handedOutSecrets(): readonly string[] {
  return [...handedOut].sort((a, b) => b.length - a.length);
}
