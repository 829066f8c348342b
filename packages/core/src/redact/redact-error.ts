import { toError } from '../errors.js';
import { redactText } from './redact-text.js';
import { handedOutSecrets } from './secret-registry.js';

/**
 * Takes every secret the credential resolver handed out (see {@link redactText}) out of an error:
 * its message, stack, cause chain (and an `AggregateError`'s errors) and its own fields — a
 * response body snippet, a URL, a nested object. The error is changed in place and returned, so
 * its class, `code`, `retryable` and `retryAfterMs` stay as they were. Anything thrown that is not
 * an Error becomes one first (`toError`).
 *
 * This is the choke point every error leaving a handler passes (`callHandler`), and every failure
 * a worker hands to BullMQ (which stores its message and stack in Redis).
 *
 * @example throw redactError(error)
 */
export function redactError(thrown: unknown, secrets: readonly string[] = handedOutSecrets()): Error {
  const error = toError(thrown);
  if (secrets.length > 0) redactValue(error, secrets, new WeakSet());
  return error;
}

function redactValue(value: unknown, secrets: readonly string[], seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      replace(value, String(index), item, secrets, seen);
    });
    return value;
  }
  // Only errors and plain records: a Response, a Buffer or a class instance is left alone.
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (!(value instanceof Error) && prototype !== Object.prototype && prototype !== null) return value;
  const names = new Set<string>(Object.getOwnPropertyNames(value));
  if (value instanceof Error) for (const name of ['message', 'stack', 'cause']) names.add(name);
  for (const name of names) {
    replace(value as Record<string, unknown>, name, (value as Record<string, unknown>)[name], secrets, seen);
  }
  return value;
}

function replace(
  target: Record<string, unknown> | unknown[],
  name: string,
  current: unknown,
  secrets: readonly string[],
  seen: WeakSet<object>,
): void {
  const next = redactValue(current, secrets, seen);
  if (next === current) return;
  try {
    (target as Record<string, unknown>)[name] = next;
  } catch {
    // A read-only field (`readonly` compiles to a plain field; this is for frozen objects).
  }
  if ((target as Record<string, unknown>)[name] !== next) {
    try {
      Object.defineProperty(target, name, { value: next, configurable: true, writable: true });
    } catch {
      // Frozen: nothing more can be done here; the error's message and stack are still checked.
    }
  }
}
