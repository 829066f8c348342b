import { CapitalError } from '@capital/core';

/** A command line that cannot run as given: a missing flag, a bad value, an unknown connector. */
export class CliUsageError extends CapitalError {
  constructor(message: string) {
    super(message, { code: 'CLI_USAGE' });
  }
  override name = 'CliUsageError' as const;
}
