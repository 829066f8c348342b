import { createIdMinter, seededRandom, seededTimestamps } from '@capital/core/testing';

/** A Stripe object as the emulator serves it: `id`, `object`, `created` and its own fields. */
export type EmulatedObject = {
  readonly id: string;
  readonly object: string;
  readonly created: number;
  readonly [field: string]: unknown;
};

/** A seeded Stripe account: every list newest first, as Stripe lists them. */
export type StripeAccount = {
  readonly customers: readonly EmulatedObject[];
  readonly charges: readonly EmulatedObject[];
  readonly invoices: readonly EmulatedObject[];
  readonly balance_transactions: readonly EmulatedObject[];
  /** Each invoice's line items, in the invoice's order. */
  readonly lines: ReadonlyMap<string, readonly EmulatedObject[]>;
};

/** Options of {@link generateAccount}. */
export type GenerateAccountOptions = {
  /** @default 200 */
  readonly customers?: number;
  /**
   * Charges; each has one balance transaction.
   * @default 2000
   */
  readonly charges?: number;
  /** @default 100 */
  readonly invoices?: number;
  /**
   * Every `longInvoiceEvery`-th invoice has 101 to 250 lines (more than one page at `limit=100`);
   * the others 1 to 5.
   * @default 25
   */
  readonly longInvoiceEvery?: number;
  /** @default 1 */
  readonly seed?: number;
};

/** The Unix time of the account's newest object (2026-01-01), so the data never depends on the clock. */
export const ACCOUNT_NEWEST = 1_767_225_600;
/** The Unix time of its oldest (2025-01-01). */
export const ACCOUNT_OLDEST = 1_735_689_600;

/**
 * Makes a deterministic Stripe account: customers, charges (each with a balance transaction),
 * invoices with line items (some over a page of 100), all created between {@link ACCOUNT_OLDEST}
 * and {@link ACCOUNT_NEWEST}, several sharing a second as real objects do.
 *
 * @throws {RangeError} for a count that is not a whole number, or `longInvoiceEvery` below 1.
 * @example generateAccount({ charges: 20_000 }).charges.length // 20000
 */
export function generateAccount(options: GenerateAccountOptions = {}): StripeAccount {
  const { customers = 200, charges = 2000, invoices = 100, longInvoiceEvery = 25, seed = 1 } = options;
  if (!Number.isSafeInteger(longInvoiceEvery) || longInvoiceEvery < 1) {
    throw new RangeError(`longInvoiceEvery must be a positive whole number, got ${longInvoiceEvery}.`);
  }
  const random = seededRandom(seed);
  const id = createIdMinter(random);
  const integer = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const newestFirst = (count: number, salt: number) =>
    seededTimestamps({ count, from: ACCOUNT_OLDEST, to: ACCOUNT_NEWEST, seed: seed + salt }).reverse();

  const customerList = newestFirst(customers, 1).map((created) => ({
    id: id('cus_'),
    object: 'customer',
    created,
    email: `customer${integer(1, 1_000_000)}@example.com`,
    currency: 'usd',
    livemode: false,
  }));
  const customerOf = () => customerList[integer(0, customerList.length - 1)]?.id ?? null;

  const transactions: EmulatedObject[] = [];
  const chargeList = newestFirst(charges, 2).map((created) => {
    const amount = integer(100, 99_999);
    const txn = id('txn_');
    const chargeId = id('ch_');
    transactions.push({
      id: txn,
      object: 'balance_transaction',
      created,
      amount,
      fee: Math.round(amount * 0.029) + 30,
      net: amount - (Math.round(amount * 0.029) + 30),
      currency: 'usd',
      source: chargeId,
      type: 'charge',
      status: 'available',
    });
    return {
      id: chargeId,
      object: 'charge',
      created,
      amount,
      amount_captured: amount,
      currency: 'usd',
      customer: customerOf(),
      balance_transaction: txn,
      paid: true,
      status: 'succeeded',
      livemode: false,
    };
  });

  const lines = new Map<string, EmulatedObject[]>();
  const invoiceList = newestFirst(invoices, 3).map((created, index) => {
    const invoiceId = id('in_');
    const count = (index + 1) % longInvoiceEvery === 0 ? integer(101, 250) : integer(1, 5);
    const items = Array.from({ length: count }, () => ({
      id: id('il_'),
      object: 'line_item',
      created,
      invoice: invoiceId,
      amount: integer(100, 9_999),
      currency: 'usd',
      quantity: integer(1, 10),
    }));
    lines.set(invoiceId, items);
    return {
      id: invoiceId,
      object: 'invoice',
      created,
      customer: customerOf(),
      currency: 'usd',
      status: 'paid',
      amount_due: items.reduce((sum, item) => sum + item.amount, 0),
      // Stripe embeds the first ten lines; the rest come from /v1/invoices/{id}/lines.
      lines: {
        object: 'list',
        url: `/v1/invoices/${invoiceId}/lines`,
        has_more: count > 10,
        total_count: count,
        data: items.slice(0, 10),
      },
    };
  });

  return {
    customers: customerList,
    charges: chargeList,
    invoices: invoiceList,
    balance_transactions: transactions,
    lines,
  };
}
