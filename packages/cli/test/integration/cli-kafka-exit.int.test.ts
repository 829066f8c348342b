// A `capital run` into Kafka exits on its own once its work is done: nothing it opened (producer,
// consumer, admin, their sockets and timers) keeps the process alive. `bin.ts` forces an exit 5 s
// after the work and prints which resources were left open; this test fails on that line.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@capital/wtd-connector/testing';
import type { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokers,
  connectAdmin,
  deleteTopicsAndGroups,
  topicFor,
} from '../../../sinks/test/integration/fixtures/kafka.js';
import { lingeringPrefix } from '../../src/lingering-warning.js';
import { runWtdArgs } from '../fixtures/run-args.js';
import { assertCliBuilt, runCli } from '../run-cli.js';

const token = 'exit-token';
const topic = topicFor('cli-exit');
let emulator: RunningEmulator;
let admin: Admin;
let folder: string;

beforeAll(async () => {
  assertCliBuilt();
  admin = connectAdmin();
  emulator = await startEmulator({ tokens: [token], rateLimit: false });
  folder = await mkdtemp(join(tmpdir(), 'capital-kafka-exit-'));
});
afterAll(async () => {
  await emulator.close();
  await deleteTopicsAndGroups(admin, (name) => name.startsWith(topic));
  await admin.close();
  await rm(folder, { recursive: true, force: true });
});

describe('capital run … --sink kafka://', () => {
  // The first run creates the topics and starts a run; the second reads the checkpoints and
  // refreshes the finished run: both paths open and close every client.
  it.each(['a new run', 'a refresh'])('exits by itself after %s, leaving nothing open', async () => {
    const args = runWtdArgs({ search: 'new york', baseUrl: emulator.url, token, rate: 'off' });
    // Waits on the process's own exit: the harness kills it only after 100 s.
    const result = await runCli([...args, '--sink', `kafka://${brokers}/${topic}`], {
      cwd: folder,
      killAfterMs: 100_000,
    });

    expect(result.stderr).not.toContain(lingeringPrefix);
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 0, signal: null });
  });
});
