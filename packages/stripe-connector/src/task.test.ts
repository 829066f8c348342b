import { taskKey } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { parseCreatedGte } from './created-gte.js';
import { invoiceLinesTask, listPath, stripeListTask } from './task.js';

describe('stripeListTask', () => {
  it('makes a first page of 100 with a credential reference, never a key', () => {
    expect(stripeListTask({ object: 'charges' })).toEqual({
      type: 'stripe.charges',
      list: 'charges',
      limit: 100,
      credentials: 'env:STRIPE_API_KEY',
    });
  });

  it('carries created_gte and with_lines, and gives each list its own task keys', () => {
    const invoices = stripeListTask({ object: 'invoices', createdGte: 1_700_000_000, withLines: true });
    expect(invoices).toMatchObject({ created_gte: 1_700_000_000, with_lines: true });
    expect(taskKey(invoices)).not.toBe(taskKey(stripeListTask({ object: 'invoices' })));
  });

  it.each([
    [{ object: 'charges', limit: 0 }],
    [{ object: 'charges', limit: 101 }],
    [{ object: 'charges', createdGte: -1 }],
    [{ object: 'charges', createdGte: 1.5 }],
    [{ object: 'charges', withLines: true }],
    [{ object: 'payouts' }],
  ] as const)('refuses %j', (options) => {
    expect(() => stripeListTask(options as Parameters<typeof stripeListTask>[0])).toThrow(RangeError);
  });
});

describe('invoiceLinesTask and listPath', () => {
  it('lists an invoice’s lines under its id, with the parent’s credentials, encoded in the path', () => {
    const lines = invoiceLinesTask(
      stripeListTask({ object: 'invoices', credentials: 'env:OTHER' }),
      'in_1/x',
    );
    expect(lines).toEqual({
      type: 'stripe.invoice_lines',
      list: 'invoice_lines',
      limit: 100,
      credentials: 'env:OTHER',
      invoice: 'in_1/x',
    });
    expect(listPath(lines)).toBe('v1/invoices/in_1%2Fx/lines');
    expect(listPath(stripeListTask({ object: 'balance_transactions' }))).toBe('v1/balance_transactions');
  });
});

describe('parseCreatedGte', () => {
  it.each([
    ['1735689600', 1_735_689_600],
    ['2025-01-01', 1_735_689_600],
    ['2025-01-01T00:00:00Z', 1_735_689_600],
    ['2025-01-01T01:00:00+01:00', 1_735_689_600],
    ['2025-01-01T00:00:00.200Z', 1_735_689_601],
  ])('reads %s as %i', (text, seconds) => {
    expect(parseCreatedGte(text)).toBe(seconds);
  });

  it.each(['yesterday', '2025-01-01T00:00:00', '', '2025-13-45', '-5'])('refuses %j', (text) => {
    expect(() => parseCreatedGte(text)).toThrow(RangeError);
  });
});
