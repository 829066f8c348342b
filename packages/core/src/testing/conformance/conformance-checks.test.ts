import { describe, expect, it } from 'vitest';
import {
  type FixtureBugs,
  fixtureConnector,
  ROWS,
  startFixtureEmulator,
} from '../../../test/fixtures/conformance-connector.js';
import { type ConformanceCheck, conformanceChecks } from './conformance-checks.js';
import type { ConformanceEmulatorOptions } from './conformance-options.js';

/** The checks for the fixture connector carrying `bugs`, by the first word of their names. */
function checksFor(bugs: FixtureBugs = {}, windowMs = 50): Record<string, ConformanceCheck> {
  const checks = conformanceChecks({
    connector: fixtureConnector(bugs),
    params: {},
    startEmulator: startFixtureEmulator,
    expected: ROWS.map((row) => row.id),
    rateLimit: { limit: 2, windowMs },
  });
  return {
    exactlyOnce: checks[0] as ConformanceCheck,
    retryAfter: checks[1] as ConformanceCheck,
    retryAfterConcurrent: checks[2] as ConformanceCheck,
    faults: checks[3] as ConformanceCheck,
    badToken: checks[4] as ConformanceCheck,
    abort: checks[5] as ConformanceCheck,
    sinkFailure: checks[6] as ConformanceCheck,
  };
}

describe('conformanceChecks', () => {
  it('passes every check for a correct connector', async () => {
    for (const check of Object.values(checksFor())) await check.run();
  }, 30_000);

  it('catches a connector that stops a page early, in the exactly-once and crash-point checks', async () => {
    const checks = checksFor({ dropLastPage: true });
    await expect(checks.exactlyOnce?.run()).rejects.toThrow(/10 missing/);
    await expect(checks.abort?.run()).rejects.toThrow(/10 missing/);
  }, 30_000);

  it('catches a connector that retries a 429 before its Retry-After ran out, one task at a time or several', async () => {
    // A window of a second: the buggy retries (a few ms apart) land inside its Retry-After
    // however fast or slow the machine; the check names them even when they wore out the retries.
    const checks = checksFor({ ignoreRetryAfter: true }, 1000);
    await expect(checks.retryAfter?.run()).rejects.toThrow(/requests reached the API before the Retry-After/);
    await expect(checks.retryAfterConcurrent?.run()).rejects.toThrow(
      /requests reached the API before the Retry-After .* beyond the 3/,
    );
  }, 30_000);

  it('catches a connector that puts the token in its errors', async () => {
    await expect(checksFor({ leakToken: true }).badToken?.run()).rejects.toThrow(/The refused token leaked/);
  }, 30_000);

  it('catches a connector that retries a refused token', async () => {
    await expect(checksFor({ retryUnauthorized: true }).badToken?.run()).rejects.toThrow(
      /should fail at its first 401, without retrying/,
    );
  }, 30_000);

  it('widens the window when a crawl slower than the limit met no 429, and then passes', async () => {
    // At the given window every answer takes longer than the window itself, so no three
    // requests ever fall in one window however fast the machine; the widened ones answer at once.
    const windowMs = 250;
    const windows: number[] = [];
    const [, retryAfter] = conformanceChecks({
      connector: fixtureConnector(),
      params: {},
      startEmulator: async (options: ConformanceEmulatorOptions) => {
        if (options.rateLimit !== false) windows.push(options.rateLimit.windowMs);
        const latencyMs =
          options.rateLimit !== false && options.rateLimit.windowMs === windowMs ? windowMs + 10 : 0;
        return startFixtureEmulator(options, latencyMs);
      },
      expected: ROWS.map((row) => row.id),
      rateLimit: { limit: 2, windowMs },
    });
    await retryAfter?.run();
    expect(windows.slice(0, 2)).toEqual([windowMs, 4 * windowMs]);
  }, 30_000);

  it('says so when the rate limit is too loose to force a 429', async () => {
    const [, retryAfter] = conformanceChecks({
      connector: fixtureConnector(),
      params: {},
      startEmulator: startFixtureEmulator,
      expected: ROWS.map((row) => row.id),
      rateLimit: { limit: 1000, windowMs: 50 },
    });
    await expect(retryAfter?.run()).rejects.toThrow(/answered no 429/);
  }, 30_000);
});
