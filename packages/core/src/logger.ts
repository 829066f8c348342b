/** Structured fields that go with a log line. Never put credentials in them. */
export type LogFields = { readonly [key: string]: unknown };

/** The logger a handler gets in its context; pino, console or anything with these four methods fits. */
export type Logger = {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
};

const ignore = (): void => {};

/** A logger that drops everything: the default. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
