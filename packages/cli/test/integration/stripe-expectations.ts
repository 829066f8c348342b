import type { RunningEmulator, StripeAccount } from '@capital/stripe-connector/testing';
import { generateAccount, startEmulator } from '@capital/stripe-connector/testing';

// What the Stripe CLI tests share: one seeded account, the ids a run must store, and an emulator
// with Stripe's sandbox limits (25/s global and per endpoint, 8 in flight), as the real one counts.

export const stripeKey = 'sk_test_cli_4f9d2a7c';

export const account: StripeAccount = generateAccount({
  charges: 1500,
  invoices: 60,
  longInvoiceEvery: 20,
  seed: 5,
});

/** Every invoice and every line item id, sorted: what `--object invoices --with-lines` must store. */
export const invoiceAndLineIds: readonly string[] = [
  ...account.invoices.map((invoice) => invoice.id),
  ...[...account.lines.values()].flat().map((line) => line.id),
].sort();

/** An emulator of the account with the sandbox limits. */
export function startSandbox(): Promise<RunningEmulator> {
  return startEmulator({ account, tokens: [stripeKey] });
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
