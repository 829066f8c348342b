import { ackAfter, crawl, createCredentialResolver, createLimiterKeys, MemoryLimiter } from '@capital/core';
import type { RunningEmulatorServer } from '@capital/core/testing';
import { lastValueFrom, of } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { connector } from '../../src/connector.js';
import { generateAccount } from '../../src/emulator/dataset.js';
import { startEmulator } from '../../src/emulator/server.js';
import { createStripeHandler } from '../../src/handler.js';
import type { StripeObject } from '../../src/schema.js';
import { stripeListTask } from '../../src/task.js';

// The connector against its emulator with faults and the sandbox limits, in real time: every
// object exactly once, whatever fails on the way, and no 429 from the limits at its rates.

const key = 'sk_test_faults_31';
const account = generateAccount({ charges: 600, invoices: 40, longInvoiceEvery: 10, seed: 17 });
let emulator: RunningEmulatorServer | undefined;

afterEach(async () => {
  await emulator?.close();
});

async function crawlInvoicesWithLines(url: string): Promise<StripeObject[]> {
  const resolveCredential = createCredentialResolver({}, { STRIPE_API_KEY: key });
  const handler = createStripeHandler({ baseUrl: url, resolveCredential });
  const keys = createLimiterKeys({ resolveCredential, secret: 'faults-test' });
  const records: StripeObject[] = [];
  await lastValueFrom(
    of(stripeListTask({ object: 'invoices', withLines: true })).pipe(
      crawl(handler, {
        concurrency: 4,
        limiter: new MemoryLimiter({ rate: connector.defaultRate }),
        limiterKey: (task) => connector.limiterKey(task, keys),
        retry: { retries: 10, minTimeoutMs: 20, maxTimeoutMs: 500 },
      }),
      ackAfter(async (page) => {
        records.push(...page.data);
      }),
    ),
    { defaultValue: undefined },
  );
  return records;
}

describe('the Stripe connector against a faulty emulator', () => {
  it('reads every invoice and line exactly once through 5xx, broken bodies and resets', async () => {
    emulator = await startEmulator({
      account,
      tokens: [key],
      faults: { faultRate: 0.1, malformedRate: 0.1, resetRate: 0.05 },
      seed: 8,
    });
    const records = await crawlInvoicesWithLines(emulator.url);

    const expected = [
      ...account.invoices.map((invoice) => invoice.id),
      ...[...account.lines.values()].flat().map((line) => line.id),
    ];
    expect(records.map((record) => record.id).sort()).toEqual(expected.sort());
    const stats = emulator.stats();
    expect(
      stats.malformed +
        stats.resets +
        (stats.byStatus[500] ?? 0) +
        (stats.byStatus[502] ?? 0) +
        (stats.byStatus[503] ?? 0),
    ).toBeGreaterThan(0);
    expect(stats.limited).toEqual({});
  });

  it('pauses the endpoint named by an injected 429 and still reads everything once', async () => {
    emulator = await startEmulator({
      account,
      tokens: [key],
      faults: { burst429Rate: 0.1, burst429RetryAfterMs: 200 },
      seed: 3,
    });
    const records = await crawlInvoicesWithLines(emulator.url);

    expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
    expect(records).toHaveLength(account.invoices.length + [...account.lines.values()].flat().length);
    expect(emulator.stats().limited.burst ?? 0).toBeGreaterThan(0);
  });
});
