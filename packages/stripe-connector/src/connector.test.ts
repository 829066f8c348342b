import { createCredentialResolver, createLimiterKeys } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { connector } from './connector.js';
import { invoiceLinesTask, stripeListTask } from './task.js';

describe('the stripe connector', () => {
  it('seeds the list named by --object, charges by default', () => {
    expect(connector.seeds({})).toEqual([
      { type: 'stripe.charges', list: 'charges', limit: 100, credentials: 'env:STRIPE_API_KEY' },
    ]);
    expect(connector.seeds({ object: 'balance_transactions' })[0]?.list).toBe('balance_transactions');
  });

  it('reads --created-gte as a date and --with-lines as a switch', () => {
    expect(
      connector.seeds({ object: 'invoices', 'created-gte': '2025-01-01', 'with-lines': 'true' }),
    ).toEqual([expect.objectContaining({ created_gte: 1_735_689_600, with_lines: true })]);
  });

  it('refuses an unknown object and lines of anything but invoices', () => {
    expect(() => connector.seeds({ object: 'payouts' })).toThrow(/--object takes/);
    expect(() => connector.seeds({ object: 'charges', 'with-lines': 'true' })).toThrow(RangeError);
  });

  it('limits by the account at the limiter’s rate and by the endpoint at 24/s, never showing the key', () => {
    const [seed] = connector.seeds({});
    if (seed === undefined) throw new Error('no seed');
    const keys = createLimiterKeys({
      resolveCredential: createCredentialResolver({}, { STRIPE_API_KEY: 'sk_test_limits' }),
      secret: 'deployment-secret',
    });
    const account = keys.forCredential('stripe', 'env:STRIPE_API_KEY');
    expect(account).not.toContain('sk_test_limits');
    expect(connector.limiterKey(seed, keys)).toEqual([
      { key: account, name: 'account' },
      { key: `${account}:charges`, rate: '97/4s', name: 'endpoint' },
    ]);
    const lines = invoiceLinesTask(stripeListTask({ object: 'invoices' }), 'in_1');
    expect(connector.limiterKey(lines, keys)).toEqual([
      { key: account, name: 'account' },
      { key: `${account}:invoice_lines`, rate: '97/4s', name: 'endpoint' },
    ]);
    expect(connector.recordKey({ id: 'ch_1', object: 'charge' })).toBe('ch_1');
  });

  it('starts its emulator with the CLI’s demo token when none is given', async () => {
    const emulator = await connector.startEmulator?.({ rateLimit: false });
    if (emulator === undefined) throw new Error('no emulator');
    try {
      const response = await fetch(`${emulator.url}/v1/charges`, {
        headers: { authorization: 'Bearer demo' },
      });
      expect(response.status).toBe(200);
    } finally {
      await emulator.close();
    }
  });

  it('starts its emulator with the CLI’s options, one rate for both layers', async () => {
    const emulator = await connector.startEmulator?.({ tokens: ['sk_test_x'], rateLimit: '2/1s' });
    if (emulator === undefined) throw new Error('no emulator');
    try {
      const get = () =>
        fetch(`${emulator.url}/v1/charges`, { headers: { authorization: 'Bearer sk_test_x' } });
      expect([(await get()).status, (await get()).status, (await get()).status]).toEqual([200, 200, 429]);
    } finally {
      await emulator.close();
    }
  });

  it('syncs incrementally on `created`: a run asks from the watermark’s second, floored', () => {
    const since = new Date('2026-03-01T12:00:05.900Z');
    const [task] =
      connector.incremental?.seedsSince({ object: 'invoices', 'with-lines': 'true' }, since) ?? [];
    expect(task).toMatchObject({ list: 'invoices', created_gte: Math.floor(since.getTime() / 1000) });
    expect(connector.incremental?.cursorField).toBe('created');
    expect(connector.incremental?.lookBackMs).toBeGreaterThan(0);
  });
});
