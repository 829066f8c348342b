import type { EmulatorServerStats } from '@capital/core/testing';
import type { GenerateAccountOptions, StripeAccount } from '@capital/stripe-connector/testing';
import { generateAccount } from '@capital/stripe-connector/testing';
import { type EmulatorProcess, startEmulatorProcess } from '../fixtures/emulator-process.js';

// What the Stripe CLI tests share: one seeded account, the ids a run must store, and an emulator
// with Stripe's sandbox limits (25/s global and per endpoint, 8 in flight), as the real one counts.

export const stripeKey = 'sk_test_cli_4f9d2a7c';

const accountOptions: GenerateAccountOptions = { charges: 1500, invoices: 60, longInvoiceEvery: 20, seed: 5 };

/** The seeded account the emulator process serves (generated the same way on both sides). */
export const account: StripeAccount = generateAccount(accountOptions);

/** Every invoice and every line item id, sorted: what `--object invoices --with-lines` must store. */
export const invoiceAndLineIds: readonly string[] = [
  ...account.invoices.map((invoice) => invoice.id),
  ...[...account.lines.values()].flat().map((line) => line.id),
].sort();

/**
 * An emulator of the account with the sandbox limits, in a process of its own at raised
 * priority: its count of arrivals per second is what a run at the default rate must keep under.
 */
export function startSandbox(): Promise<EmulatorProcess<EmulatorServerStats>> {
  return startEmulatorProcess('stripe', { account: accountOptions, tokens: [stripeKey] });
}

/** `capital run stripe --object invoices --with-lines` against `url`, at the connector's default rate. */
export function invoicesWithLinesArgs(url: string, sink: string): string[] {
  return [
    'run',
    'stripe',
    '--object',
    'invoices',
    '--with-lines',
    '--base-url',
    url,
    '--sink',
    sink,
    '--quiet',
  ];
}
