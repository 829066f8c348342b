// The real `capital` command writing to Kafka, killed with SIGKILL midway: nothing runs on the
// way out, so its open transaction is left on the broker. The re-run fences it off, skips the
// pages whose transactions committed, and consumers reading committed data see every listing once.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { Admin, Consumer, FetchIsolationLevels, stringDeserializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url));
const brokers = process.env.KAFKA_BROKERS ?? '';
const topic = `capital-test.cli-kill.${randomUUID().slice(0, 8)}`;
const expected = searchListings(generateListings(), 'new york')
  .map((listing) => listing.symbol)
  .sort();

let emulator: RunningEmulator;
let admin: Admin;

beforeAll(async () => {
  if (brokers === '') throw new Error('Set KAFKA_BROKERS: node scripts/kafka/kafka.mjs with -- npx vitest …');
  admin = new Admin({ clientId: 'capital-test', bootstrapBrokers: brokers.split(',') });
  emulator = await startEmulator({ rateLimit: false });
});
afterAll(async () => {
  await emulator.close();
  const mine = (await admin.listTopics()).filter((name) => name.startsWith(topic));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.close();
});

/** `capital run wtd --search "new york" --sink kafka://…/TOPIC --rate 2/1s` against the emulator. */
function capitalRun(): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    [
      bin,
      'run',
      'wtd',
      '--search',
      'new york',
      '--sink',
      `kafka://${brokers}/${topic}`,
      '--rate',
      '2/1s',
      '--base-url',
      emulator.url,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WTD_API_TOKEN: 'demo' },
    },
  );
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Pages of the search that the emulator has served so far (good answers only). */
function pagesServed(): number {
  return emulator
    .stats()
    .pages.filter((page) => page.searchTerm === 'new york')
    .reduce((sum, page) => sum + page.served, 0);
}

/** The record keys a read_committed consumer sees in the topic, once no more arrive. */
async function committedKeys(): Promise<string[]> {
  const consumer = new Consumer({
    clientId: 'capital-test',
    groupId: `capital-test-${randomUUID()}`,
    bootstrapBrokers: brokers.split(','),
    deserializers: stringDeserializers,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'earliest',
      autocommit: false,
      maxWaitTime: 100,
    });
    const keys: string[] = [];
    stream.on('data', (message) => keys.push(message.key ?? ''));
    // Wait for every expected key, then a little longer so that a duplicate would show too.
    for (let waited = 0; keys.length < expected.length && waited < 30_000; waited += 100) await sleep(100);
    await sleep(1500);
    await stream.close();
    return keys.sort();
  } finally {
    await consumer.close(true);
  }
}

describe('capital run wtd --sink kafka://, killed with SIGKILL midway', () => {
  it('resumes to every listing exactly once for read_committed consumers, skipping the committed pages', async () => {
    const first = capitalRun();
    for (let waited = 0; pagesServed() < 3 && waited < 30_000; waited += 50) await sleep(50);
    await sleep(300);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const servedByTheKilledRun = pagesServed();
    expect(servedByTheKilledRun).toBeGreaterThanOrEqual(3);
    expect(servedByTheKilledRun).toBeLessThan(9);

    const second = capitalRun();
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code, second.output()).toBe(0);
    const skipped = Number(/(\d+) pages already stored/.exec(second.output())?.[1] ?? 0);
    expect(skipped).toBeGreaterThanOrEqual(1);
    // The re-run fetched only what the killed run had not committed.
    expect(pagesServed() - servedByTheKilledRun).toBe(9 - skipped);
    expect(await committedKeys()).toEqual(expected);
  });
});
