/**
 * The one list of Vitest projects. `vitest.config.ts` imports it, because Vitest 4 no longer
 * reads this file by itself.
 *
 * - `unit`: fast tests beside the sources (`*.test.ts`), no services, no real sleeps.
 * - `integration`: tests that need the real services on loopback (Redis, PostgreSQL, Kafka)
 *   or spawn processes (`test/integration/*.int.test.ts`).
 */
import type { TestProjectConfiguration } from 'vitest/config';

// Tests import the other packages' TypeScript sources (the `source` export condition), not
// their builds. Node tests run in Vite's SSR environment; its conditions are Vite's defaults
// (`module`, `node`, `development|production`) with `source` first.
const sourceCondition = {
  resolve: { conditions: ['source', 'module', 'node', 'development|production'] },
  ssr: {
    resolve: {
      conditions: ['source', 'module', 'node', 'development|production'],
      externalConditions: ['source', 'node', 'module-sync'],
    },
  },
};

export const projects: TestProjectConfiguration[] = [
  {
    ...sourceCondition,
    test: {
      name: 'unit',
      include: ['packages/*/src/**/*.test.ts'],
      environment: 'node',
    },
  },
  {
    ...sourceCondition,
    test: {
      name: 'integration',
      include: ['packages/*/test/integration/**/*.int.test.ts'],
      environment: 'node',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // Integration tests share real services; run files one at a time so load from one does
      // not starve another on a two-core machine.
      fileParallelism: false,
    },
  },
];
