import type { LogFields, Logger } from '@capital/core';

/** A logger for the command line: warnings and errors on stderr, one line each; debug and info dropped. */
export function createStderrLogger(stream: NodeJS.WriteStream): Logger {
  const line = (level: string, message: string, fields?: LogFields): void => {
    const details = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    stream.write(`capital: ${level}: ${message}${details}\n`);
  };
  return {
    debug: () => {},
    info: () => {},
    warn: (message, fields) => line('warning', message, fields),
    error: (message, fields) => line('error', message, fields),
  };
}
