import { describe, it } from 'vitest';
import type { Task } from '../../task.js';
import { conformanceChecks } from './conformance-checks.js';
import type { ConformanceOptions } from './conformance-options.js';

/**
 * Declares a connector's conformance suite in Vitest: one test per check of
 * {@link conformanceChecks}, against the connector's emulator — exactly-once records, Retry-After
 * honoured, faults survived, a refused token that fails fast and leaks nowhere, and a resume
 * from every crash point equal to a run that never stopped.
 *
 * @param options - See {@link ConformanceOptions}.
 * @example
 * describeConnector({
 *   connector,
 *   params: { search: 'new york' },
 *   startEmulator: ({ tokens, rateLimit, faults }) => startEmulator({ tokens, rateLimit, ...faults }),
 *   expected: () => searchListings(generateListings(), 'new york').map((listing) => listing.symbol),
 * });
 */
export function describeConnector<T extends Task, D>(options: ConformanceOptions<T, D>): void {
  const checks = conformanceChecks(options);
  const timeout = options.timeoutMs ?? 30_000;
  describe(`the ${options.connector.name} connector conforms`, () => {
    for (const check of checks) it(check.name, () => check.run(), timeout);
  });
}
