import type { RunningEmulatorServer } from '@capital/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { generateAccount } from './dataset.js';
import type { StripeEmulatorOptions } from './emulator-options.js';
import { startEmulator } from './server.js';

const key = 'sk_test_emulator_42';
const account = generateAccount({ customers: 30, charges: 250, invoices: 10, longInvoiceEvery: 5, seed: 3 });
const running: RunningEmulatorServer[] = [];

async function start(options: StripeEmulatorOptions = {}): Promise<RunningEmulatorServer> {
  const emulator = await startEmulator({
    account,
    tokens: [key],
    globalLimit: false,
    endpointLimit: false,
    concurrency: false,
    ...options,
  });
  running.push(emulator);
  return emulator;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };

async function get(emulator: RunningEmulatorServer, path: string, token = key): Promise<Answer> {
  const response = await fetch(`${emulator.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** Waits for a state that must come, however slow the machine. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('The awaited state never came.');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const idsOf = (answer: Answer) => (answer.body.data as { id: string }[]).map((item) => item.id);

describe('the Stripe emulator lists', () => {
  it('answers a list newest first, 10 by default, with has_more and the url', async () => {
    const emulator = await start();
    const answer = await get(emulator, '/v1/charges');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ object: 'list', url: '/v1/charges', has_more: true });
    expect(idsOf(answer)).toEqual(account.charges.slice(0, 10).map((charge) => charge.id));
    const created = account.charges.map((charge) => charge.created);
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it('pages with starting_after and back with ending_before', async () => {
    const emulator = await start();
    const first = idsOf(await get(emulator, '/v1/customers?limit=4'));
    const second = await get(emulator, `/v1/customers?limit=4&starting_after=${first[3]}`);
    expect(idsOf(second)).toEqual(account.customers.slice(4, 8).map((customer) => customer.id));
    const back = await get(emulator, `/v1/customers?limit=4&ending_before=${idsOf(second)[0]}`);
    expect(idsOf(back)).toEqual(first);
  });

  it.each(['0', '101', 'ten', '5.5', '-1'])('answers 400 naming limit for limit=%s', async (limit) => {
    const emulator = await start();
    const answer = await get(emulator, `/v1/charges?limit=${limit}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        type: 'invalid_request_error',
        param: 'limit',
        message: 'Invalid limit: must be an integer between 1 and 100.',
      },
    });
  });

  it('answers 400 to both cursors at once and to a cursor that names no object', async () => {
    const emulator = await start();
    const both = await get(emulator, '/v1/charges?starting_after=a&ending_before=b');
    expect(both.status).toBe(400);
    const unknown = await get(emulator, '/v1/charges?starting_after=ch_nothing');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'resource_missing', param: 'starting_after' });
  });

  it('filters by created[gte], [gt], [lte] and [lt], and pages through the filtered list', async () => {
    const emulator = await start();
    const middle = account.charges[100]?.created ?? 0;
    const expected = account.charges.filter((charge) => charge.created >= middle).map((charge) => charge.id);
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const answer = await get(emulator, `/v1/charges?limit=30&created%5Bgte%5D=${middle}${after}`);
      seen.push(...idsOf(answer));
      if (answer.body.has_more !== true) break;
      after = `&starting_after=${seen.at(-1)}`;
    }
    expect(seen).toEqual(expected);
    const bounded = await get(
      emulator,
      `/v1/charges?limit=100&created[gt]=${middle}&created[lt]=${middle + 86_400}`,
    );
    for (const id of idsOf(bounded)) {
      const created = account.charges.find((charge) => charge.id === id)?.created ?? 0;
      expect(created).toBeGreaterThan(middle);
      expect(created).toBeLessThan(middle + 86_400);
    }
    const lte = await get(emulator, `/v1/charges?limit=100&created[lte]=${middle}`);
    expect(idsOf(lte)[0]).toBe(account.charges.find((charge) => charge.created <= middle)?.id);
    expect((await get(emulator, '/v1/charges?created[gte]=yesterday')).status).toBe(400);
  });

  it('serves an invoice with over 100 lines in more than one page, and 404 for an unknown invoice', async () => {
    const emulator = await start();
    const [invoiceId, lines] = [...account.lines].find(([, items]) => items.length > 100) ?? ['', []];
    const seen: string[] = [];
    let pages = 0;
    for (let after = ''; ; pages += 1) {
      const answer = await get(emulator, `/v1/invoices/${invoiceId}/lines?limit=100${after}`);
      seen.push(...idsOf(answer));
      if (answer.body.has_more !== true) break;
      after = `&starting_after=${seen.at(-1)}`;
    }
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(seen).toEqual(lines.map((line) => line.id));
    const missing = await get(emulator, '/v1/invoices/in_nothing/lines');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
  });

  it('answers 401 in Stripe shape without echoing the key', async () => {
    const emulator = await start();
    const response = await fetch(`${emulator.url}/v1/charges`, {
      headers: { authorization: 'Bearer sk_test_wrong_secret' },
    });
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(JSON.parse(text).error.type).toBe('invalid_request_error');
    expect(text).not.toContain('sk_test_wrong_secret');
  });
});

describe('the Stripe emulator rate limits', () => {
  it('refuses the 26th request in a second over two endpoints with the global layer, naming it', async () => {
    const emulator = await start({ globalLimit: { limit: 25, windowMs: 1000 }, now: () => 0 });
    for (let index = 0; index < 25; index += 1) {
      expect((await get(emulator, index % 2 === 0 ? '/v1/charges' : '/v1/customers')).status).toBe(200);
    }
    const refused = await get(emulator, '/v1/invoices');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('stripe-rate-limited-reason')).toBe('global-rate');
    expect(refused.headers.get('stripe-should-retry')).toBe('true');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.error).toMatchObject({ type: 'invalid_request_error', code: 'rate_limit' });
  });

  it('refuses one endpoint over its own limit while another endpoint still passes', async () => {
    const emulator = await start({
      globalLimit: { limit: 100, windowMs: 1000 },
      endpointLimit: { limit: 25, windowMs: 1000 },
      now: () => 0,
    });
    for (let index = 0; index < 25; index += 1) expect((await get(emulator, '/v1/charges')).status).toBe(200);
    const refused = await get(emulator, '/v1/charges');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('stripe-rate-limited-reason')).toBe('endpoint-rate');
    expect((await get(emulator, '/v1/customers')).status).toBe(200);
    expect(emulator.stats().limited).toEqual({ endpoint: 1 });
  });

  it('refuses a request over the concurrency limit while others are in flight', async () => {
    const emulator = await start({ concurrency: 2 });
    emulator.hold();
    const first = get(emulator, '/v1/charges');
    const second = get(emulator, '/v1/customers');
    await until(() => emulator.heldRequests() === 2);
    // Held answers are in flight, so the third is over the limit; its answer is held too.
    const third = get(emulator, '/v1/invoices');
    await until(() => emulator.heldRequests() === 3);
    emulator.release();
    const answers = await Promise.all([first, second, third]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
    expect(answers[2]?.headers.get('stripe-rate-limited-reason')).toBe('global-concurrency');
  });
});
