import type { LogFields, Logger } from '../logger.js';
import { redactText } from './redact-text.js';

const wrapped = new WeakSet<Logger>();

/**
 * A logger that takes every secret the credential resolver handed out (see `redactText`) out of
 * each message and field before passing it on. Wrapping twice wraps once.
 *
 * @example const logger = redactingLogger(pino())
 */
export function redactingLogger(logger: Logger): Logger {
  if (wrapped.has(logger)) return logger;
  const clean = (fields: LogFields | undefined): LogFields | undefined => {
    if (fields === undefined) return undefined;
    const text = safeJson(fields);
    const redacted = redactText(text);
    if (redacted === text) return fields;
    try {
      return JSON.parse(redacted) as LogFields;
    } catch {
      return { fields: redacted };
    }
  };
  const result: Logger = {
    debug: (message, fields) => logger.debug(redactText(message), clean(fields)),
    info: (message, fields) => logger.info(redactText(message), clean(fields)),
    warn: (message, fields) => logger.warn(redactText(message), clean(fields)),
    error: (message, fields) => logger.error(redactText(message), clean(fields)),
  };
  wrapped.add(result);
  return result;
}

/** Fields as JSON; an Error field keeps its message, which JSON.stringify would drop. */
function safeJson(fields: LogFields): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    );
  } catch {
    return JSON.stringify({ fields: '[not serialisable]' });
  }
}
