/**
 * The conformance suite of `@capital/core`, for Vitest: `describeConnector(options)` in a
 * connector's own test file. A separate entry point from `./testing` because it imports
 * `vitest`, which the emulators that `./testing` serves at run time must not load. `@capital/core`
 * does not depend on Vitest: a package that imports this entry has it in its dev dependencies.
 *
 * @example
 * import { describeConnector } from '@capital/core/conformance';
 */

export type {
  ConformanceEmulator,
  ConformanceEmulatorOptions,
  ConformanceFaults,
  ConformanceOptions,
} from './testing/conformance/conformance-options.js';
export { describeConnector } from './testing/conformance/describe-connector.js';
