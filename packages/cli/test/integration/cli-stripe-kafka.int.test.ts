import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorServerStats } from '@capital/core/testing';
import type { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokers,
  committedKeys,
  connectAdmin,
  deleteTopicsAndGroups,
  topicFor,
} from '../../../sinks/test/integration/fixtures/kafka.js';
import type { EmulatorProcess } from '../fixtures/emulator-process.js';
import { assertCliBuilt, runCli } from '../run-cli.js';
import { invoiceAndLineIds, invoicesWithLinesArgs, startSandbox, stripeKey } from './stripe-expectations.js';

const topic = topicFor('cli-stripe');
let admin: Admin;
let emulator: EmulatorProcess<EmulatorServerStats>;
let folder: string;

beforeAll(async () => {
  assertCliBuilt();
  admin = connectAdmin();
  emulator = await startSandbox();
  folder = await mkdtemp(join(tmpdir(), 'capital-stripe-'));
});
afterAll(async () => {
  await emulator.close();
  await deleteTopicsAndGroups(admin, (name) => name === topic);
  await admin.close();
  await rm(folder, { recursive: true, force: true });
});

describe('capital run stripe --object invoices --with-lines --sink kafka://', () => {
  it('publishes every invoice and every line item exactly once, without a 429 at the default rate', async () => {
    const result = await runCli(invoicesWithLinesArgs(emulator.url, `kafka://${brokers}/${topic}`), {
      cwd: folder,
      env: { STRIPE_API_KEY: stripeKey },
      killAfterMs: 110_000,
    });

    expect(result.code, result.stderr).toBe(0);
    // Sorted keys as a read_committed consumer sees them: a duplicate would show twice.
    expect(await committedKeys(topic)).toEqual(invoiceAndLineIds);
    const stats = await emulator.stats();
    expect(stats.records).toBe(invoiceAndLineIds.length);
    expect(stats.byStatus).toEqual({ 200: stats.requests });
  });
});
