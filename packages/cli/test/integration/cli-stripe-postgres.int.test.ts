import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorServerStats } from '@capital/core/testing';
import { escapeIdentifier as q } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminPool,
  dropSchema,
  schemaName,
  serverUrl,
} from '../../../sinks/test/integration/fixtures/postgres.js';
import type { EmulatorProcess } from '../fixtures/emulator-process.js';
import { assertCliBuilt, runCli } from '../run-cli.js';
import { invoiceAndLineIds, invoicesWithLinesArgs, startSandbox, stripeKey } from './stripe-expectations.js';

const admin = adminPool();
const schema = schemaName();
let emulator: EmulatorProcess<EmulatorServerStats>;
let folder: string;

beforeAll(async () => {
  assertCliBuilt();
  emulator = await startSandbox();
  folder = await mkdtemp(join(tmpdir(), 'capital-stripe-'));
});
afterAll(async () => {
  await emulator.close();
  await dropSchema(admin, schema);
  await admin.end();
  await rm(folder, { recursive: true, force: true });
});

describe('capital run stripe --object invoices --with-lines --sink postgres://', () => {
  it('stores every invoice and every line item exactly once, without a 429 at the default rate', async () => {
    const result = await runCli(
      invoicesWithLinesArgs(emulator.url, `${serverUrl}?schema=${schema}&table=objects`),
      {
        cwd: folder,
        env: { STRIPE_API_KEY: stripeKey },
        killAfterMs: 110_000,
      },
    );

    expect(result.code, result.stderr).toBe(0);
    // The connector's own defaults: 97/4s per layer, 6 in flight (Stripe limits concurrency too).
    expect(result.stderr).toMatch(/\(concurrency 6, rate 97\/4s\)/);
    const rows = await admin.query<{ record_key: string; object: string; invoice: string | null }>(
      `SELECT record_key, record->>'object' AS object, record->>'invoice' AS invoice FROM ${q(schema)}.objects`,
    );
    expect(rows.rows.map((row) => row.record_key).sort()).toEqual(invoiceAndLineIds);
    for (const row of rows.rows) {
      if (row.object === 'line_item') expect(row.invoice).toMatch(/^in_/);
      else expect(row.object).toBe('invoice');
    }
    const stats = await emulator.stats();
    // Each record was served once: no page was fetched twice.
    expect(stats.records).toBe(invoiceAndLineIds.length);
    expect(stats.byStatus).toEqual({ 200: stats.requests });
    expect(result.stdout + result.stderr).not.toContain(stripeKey);
  });
});
