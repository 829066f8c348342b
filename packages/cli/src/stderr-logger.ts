import { type LogFields, type Logger, redactingLogger } from '@capital/core';

/**
 * A logger for the command line: warnings and errors on stderr, one line each; debug and info
 * dropped. Every secret the credential resolver handed out is taken out first.
 */
export function createStderrLogger(stream: NodeJS.WriteStream): Logger {
  return redactingLogger(plainStderrLogger(stream));
}

function plainStderrLogger(stream: NodeJS.WriteStream): Logger {
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
