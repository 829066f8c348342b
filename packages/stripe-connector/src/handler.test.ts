import { ackAfter, crawl, createCredentialResolver, PaginationError } from '@capital/core';
import type { RunningEmulatorServer } from '@capital/core/testing';
import { lastValueFrom, of } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAccount } from './emulator/dataset.js';
import { startEmulator } from './emulator/server.js';
import { createStripeHandler, nextTasks, pageRecords } from './handler.js';
import type { StripeList, StripeObject } from './schema.js';
import { invoiceLinesTask, type StripeListTask, stripeListTask } from './task.js';

const key = 'sk_test_handler';
const account = generateAccount({ charges: 730, invoices: 12, longInvoiceEvery: 4, seed: 9 });
let emulator: RunningEmulatorServer;

beforeAll(async () => {
  emulator = await startEmulator({ account, tokens: [key], globalLimit: false, endpointLimit: false });
});
afterAll(() => emulator.close());

const resolveCredential = createCredentialResolver({}, { STRIPE_API_KEY: key });

async function crawlAll(seed: StripeListTask): Promise<StripeObject[]> {
  const handler = createStripeHandler({ baseUrl: emulator.url, resolveCredential });
  const records: StripeObject[] = [];
  // Each page acknowledged once stored, or the crawl stops at its bound of unacknowledged pages.
  await lastValueFrom(
    of(seed).pipe(
      crawl(handler, { concurrency: 4 }),
      ackAfter(async (page) => {
        records.push(...page.data);
      }),
    ),
    { defaultValue: undefined },
  );
  return records;
}

const page = (data: StripeObject[], hasMore: boolean): StripeList => ({
  object: 'list',
  has_more: hasMore,
  data,
});

describe('createStripeHandler', () => {
  it('reads every charge exactly once, newest first, 100 a page', async () => {
    const records = await crawlAll(stripeListTask({ object: 'charges' }));
    expect(records.map((record) => record.id)).toEqual(account.charges.map((charge) => charge.id));
  });

  it('reads only the charges created at or after created_gte', async () => {
    const bound = account.charges[300]?.created ?? 0;
    const records = await crawlAll(stripeListTask({ object: 'charges', createdGte: bound }));
    const expected = account.charges.filter((charge) => charge.created >= bound).map((charge) => charge.id);
    expect(records.map((record) => record.id)).toEqual(expected);
  });

  it('reads every invoice and, with lines, every line of each once, naming its invoice', async () => {
    const records = await crawlAll(stripeListTask({ object: 'invoices', withLines: true }));
    const invoices = records.filter((record) => record.object === 'invoice').map((record) => record.id);
    expect(invoices).toEqual(account.invoices.map((invoice) => invoice.id));
    const lines = records.filter((record) => record.object === 'line_item');
    const expected = [...account.lines.values()].flat();
    expect(lines.map((line) => line.id).sort()).toEqual(expected.map((line) => line.id).sort());
    for (const line of lines)
      expect(account.lines.get(String(line.invoice))?.some((l) => l.id === line.id)).toBe(true);
    expect([...account.lines.values()].some((items) => items.length > 100)).toBe(true);
  });

  it('fails for an unknown key without retrying and without showing it', async () => {
    const handler = createStripeHandler({
      baseUrl: emulator.url,
      resolveCredential: createCredentialResolver({}, { STRIPE_API_KEY: 'sk_test_not_known' }),
    });
    const run = lastValueFrom(
      of(stripeListTask({ object: 'charges' })).pipe(crawl(handler, { retry: false })),
    );
    const error = await run.then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toMatch(/HTTP 401/);
    expect(`${error?.message}${String(error?.cause)}`).not.toContain('sk_test_not_known');
  });
});

describe('nextTasks', () => {
  const invoices = stripeListTask({ object: 'invoices', withLines: true });
  const data = [
    { id: 'in_2', object: 'invoice' },
    { id: 'in_1', object: 'invoice' },
  ];

  it('names the next page first, then one lines task per invoice of the page', () => {
    const next = nextTasks(invoices, page(data, true));
    expect(next.map((task) => [task.list, task.starting_after ?? task.invoice])).toEqual([
      ['invoices', 'in_1'],
      ['invoice_lines', 'in_2'],
      ['invoice_lines', 'in_1'],
    ]);
    expect(next[1]).toEqual(invoiceLinesTask(invoices, 'in_2'));
  });

  it('fans out no lines without with_lines, and nothing after the last page', () => {
    expect(nextTasks(stripeListTask({ object: 'invoices' }), page(data, false))).toEqual([]);
  });

  it('fails a page that says more follow but repeats the previous page', () => {
    const [second] = nextTasks(
      stripeListTask({ object: 'charges' }),
      page([{ id: 'ch_2', object: 'charge' }], true),
    );
    if (second === undefined) throw new Error('no next task');
    expect(() => nextTasks(second, page([{ id: 'ch_2', object: 'charge' }], true))).toThrow(PaginationError);
  });
});

describe('pageRecords', () => {
  it('sets invoice on line items that lack it and keeps those that have it', () => {
    const lines = invoiceLinesTask(stripeListTask({ object: 'invoices' }), 'in_7');
    const records = pageRecords(
      lines,
      page(
        [
          { id: 'il_1', object: 'line_item' },
          { id: 'il_2', object: 'line_item', invoice: 'in_7' },
        ],
        false,
      ),
    );
    expect(records).toEqual([
      { id: 'il_1', object: 'line_item', invoice: 'in_7' },
      { id: 'il_2', object: 'line_item', invoice: 'in_7' },
    ]);
  });
});
