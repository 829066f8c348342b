// The real `capital` command writing to Kafka, killed with SIGKILL midway: nothing runs on the
// way out, so its open transaction is left on the broker. The re-run fences it off, skips the
// pages whose transactions committed, and consumers reading committed data see every listing once.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import type { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, committedKeys, connectAdmin, deleteTopicsAndGroups, topicFor } from './fixtures/kafka.js';

const bin = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url));
const topic = topicFor('cli-kill');
const expected = searchListings(generateListings(), 'new york')
  .map((listing) => listing.symbol)
  .sort();

let emulator: RunningEmulator;
let admin: Admin;

beforeAll(async () => {
  admin = connectAdmin();
  emulator = await startEmulator({ rateLimit: false });
});
afterAll(async () => {
  await emulator.close();
  await deleteTopicsAndGroups(admin, (name) => name.startsWith(topic));
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

describe('capital run wtd --sink kafka://, killed with SIGKILL midway', () => {
  it('resumes to every listing exactly once for read_committed consumers, skipping the committed pages', async () => {
    // The emulator answers a few pages, then holds its answers: the run is frozen mid-crawl
    // with those pages committed, however fast or slow the machine is.
    const letThrough = randomInt(3, 8);
    emulator.hold(letThrough);
    const first = capitalRun();
    const deadline = Date.now() + 60_000;
    while (emulator.heldRequests() === 0 || (await committedKeys(topic)).length < 50) {
      if (first.child.exitCode !== null) throw new Error(`capital exited early:\n${first.output()}`);
      if (Date.now() > deadline) throw new Error(`no page committed within 60 s:\n${first.output()}`);
      await sleep(100);
    }
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    expect(pagesServed()).toBe(letThrough);
    // The held answers go to a closed socket; a macrotask later they are counted, then forgotten.
    emulator.release();
    await sleep(10);
    emulator.resetStats();

    const second = capitalRun();
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code, second.output()).toBe(0);
    const skipped = Number(/(\d+) pages already stored/.exec(second.output())?.[1] ?? 0);
    expect(skipped).toBeGreaterThanOrEqual(1);
    // The re-run fetched only what the killed run had not committed.
    expect(pagesServed()).toBe(9 - skipped);
    expect(await committedKeys(topic)).toEqual(expected);
  });
});
