// Crash points of Kafka runs: a real `capital run --sink kafka://` killed with SIGKILL — at a page
// boundary (the emulator answers k pages, then holds every answer, so the run is frozen there
// however fast or slow the machine), or inside a write (the process is stopped with SIGSTOP at
// random moments until the broker shows one of its transactions open, then killed) — then run
// again. After the resume a read_committed consumer must see an uninterrupted run's records,
// each exactly once, beside the old data (a record stored before: merge and append both keep it;
// replace is refused by the Kafka sink). The run is finished, and the next run is a new one.
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobName, KafkaSink } from '@capital/sinks';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { type Admin, Consumer, FetchIsolationLevels, Producer } from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  brokers,
  connectAdmin,
  deleteTopicsAndGroups,
  readCommitted,
  topicFor,
} from '../../../sinks/test/integration/fixtures/kafka.js';
import { assertCliBuilt, type RunningCli, runCli, startCli } from '../run-cli.js';

type Disposition = 'append' | 'merge';

const token = 'crash-token';
const job = jobName('wtd', { search: 'new york' });
const listings = searchListings(generateListings(), 'new york');
const marker = { symbol: 'ZZZ.OLD', name: 'stored before the run' };
const listingLines = listings.map((listing) => `${listing.symbol} ${canonical(listing)}`);
const markerLine = `${marker.symbol} ${canonical(marker)}`;
/** An uninterrupted run's records and the old data: every listing once, as `key JSON` lines, sorted. */
const expected = [...listingLines, markerLine].sort();

let emulator: RunningEmulator;
let admin: Admin;
let folder: string;
let topic: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  assertCliBuilt();
  admin = connectAdmin();
  emulator = await startEmulator({ tokens: [token], rateLimit: false });
});
afterAll(async () => {
  await emulator.close();
  await admin.close();
});
beforeEach(async () => {
  emulator.release();
  emulator.resetStats();
  folder = await mkdtemp(join(tmpdir(), 'capital-crash-kafka-'));
  topic = topicFor('crash');
});
afterEach(async () => {
  emulator.release();
  for (const cli of running.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await cli.exited;
  }
  await rm(folder, { recursive: true, force: true });
  await deleteTopicsAndGroups(admin, (name) => name.startsWith(topic));
});

function capitalRun(disposition: Disposition, extra: readonly string[] = []): RunningCli {
  const cli = startCli(
    [
      'run',
      'wtd',
      '--search',
      'new york',
      '--sink',
      `kafka://${brokers}/${topic}`,
      '--write',
      disposition,
      '--rate',
      'off',
      '--quiet',
      '--base-url',
      emulator.url,
      '--token',
      token,
      ...extra,
    ],
    { cwd: folder, env: { REDIS_URL: '' } },
  );
  running.push(cli);
  return cli;
}

/** The old data: one record in the topic, written before any run. */
async function oldData(): Promise<void> {
  await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
  const producer = new Producer({ clientId: 'capital-test', bootstrapBrokers: brokers.split(',') });
  try {
    await producer.send({
      messages: [{ topic, key: Buffer.from(marker.symbol), value: Buffer.from(JSON.stringify(marker)) }],
    });
  } finally {
    await producer.close();
  }
}

/** What read_committed consumers see in the topic, as `key JSON` lines, sorted: a duplicate shows twice. */
async function stored(): Promise<string[]> {
  const read = await readCommitted(topic);
  return read
    .map((message) => `${message.key} ${canonical(JSON.parse(message.value) as Record<string, unknown>)}`)
    .sort();
}

/** The job's runs, read from the checkpoint topic without fencing off the run writing. */
async function runsOfJob(disposition: Disposition) {
  const sink = new KafkaSink({ brokers, topic, job, disposition, createTopic: false });
  try {
    return await sink.runs.list();
  } finally {
    await sink.abort();
  }
}

async function until(what: string, cli: RunningCli, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (cli.child.exitCode !== null) throw new Error(`capital exited before ${what}:\n${cli.stderr()}`);
    if (Date.now() > deadline) throw new Error(`not ${what} within 60 s:\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function kill(cli: RunningCli): Promise<void> {
  cli.child.kill('SIGKILL');
  expect((await cli.exited).signal).toBe('SIGKILL');
}

async function finish(cli: RunningCli): Promise<string> {
  const result = await cli.exited;
  expect(result.code, result.stderr).toBe(0);
  return result.stderr;
}

/**
 * Whether a transaction is open in the data or checkpoint topic: the broker then has messages
 * past what read_committed consumers may read (the last stable offset).
 */
async function transactionOpen(consumer: Consumer): Promise<boolean> {
  const topics = (await admin.listTopics()).filter((name) => name.startsWith(topic));
  const [committed, written] = await Promise.all(
    [FetchIsolationLevels.READ_COMMITTED, FetchIsolationLevels.READ_UNCOMMITTED].map((isolationLevel) =>
      consumer.listOffsets({ topics, isolationLevel }),
    ),
  );
  return topics.some((name) =>
    (written?.get(name) ?? []).some((end, partition) => end > (committed?.get(name)?.[partition] ?? end)),
  );
}

/**
 * Stops the process with SIGSTOP at random moments (resuming it with SIGCONT) until it is found
 * inside a transaction, then kills it there. `false` if the run ended first.
 */
async function killInsideWrite(cli: RunningCli): Promise<boolean> {
  const consumer = new Consumer({
    clientId: 'capital-test',
    groupId: `capital-test-probe-${topic}`,
    bootstrapBrokers: brokers.split(','),
  });
  try {
    while (cli.child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, randomInt(0, 40)));
      if (!cli.child.kill('SIGSTOP')) break;
      if (await transactionOpen(consumer).catch(() => false)) {
        await kill(cli);
        return true;
      }
      cli.child.kill('SIGCONT');
    }
    await cli.exited;
    return false;
  } finally {
    await consumer.close(true);
  }
}

describe('Kafka: a run killed with SIGKILL, then resumed', () => {
  describe.each(['merge', 'append'] as const)('--write %s', (disposition) => {
    // Page boundaries: the first page, one chosen at random, and the last but one.
    it.each([1, randomInt(2, 8), 8])(
      'killed after %i pages were committed: the resume skips them, and consumers see each record once',
      async (k) => {
        await oldData();
        emulator.hold(k);
        const killed = capitalRun(disposition);
        await until(
          `${k} pages committed`,
          killed,
          async () => emulator.heldRequests() > 0 && (await runsOfJob(disposition))[0]?.pages === k,
        );
        await kill(killed);
        const [open] = await runsOfJob(disposition);
        expect(open).toMatchObject({ state: 'running', pages: k });
        // The old data and the k committed pages' records, nothing of a page in flight.
        const afterKill = await stored();
        expect(afterKill).toContain(markerLine);
        expect(afterKill.every((line) => expected.includes(line))).toBe(true);
        expect(new Set(afterKill).size).toBe(afterKill.length);
        emulator.release();
        emulator.resetStats();

        const stderr = await finish(capitalRun(disposition));

        expect(stderr).toMatch(
          new RegExp(
            `resuming run ${open?.id} \\(interrupted, ${k} pages? stored\\), --write ${disposition}`,
          ),
        );
        expect(emulator.stats().pages.filter((page) => page.searchTerm === 'new york')).toHaveLength(9 - k);
        expect(await stored()).toEqual(expected);
        expect((await runsOfJob(disposition)).map((run) => [run.id, run.state, run.pages])).toEqual([
          [open?.id, 'finished', 9],
        ]);
      },
    );

    it('killed at a random point inside a transaction: nothing of it is seen, and the resume ends with each record once', async () => {
      await oldData();
      // Concurrency 1: one page per transaction, so the run spends most of its time in one.
      let caught = false;
      for (let attempt = 0; attempt < 20 && !caught; attempt += 1) {
        caught = await killInsideWrite(capitalRun(disposition, ['--concurrency', '1']));
        // A run that ended first finished; the next attempt refreshes it as a new run.
      }
      expect(caught).toBe(true);
      const [open] = await runsOfJob(disposition);
      const before = (await runsOfJob(disposition)).filter((run) => run.state === 'finished').length;

      const stderr = await finish(capitalRun(disposition));

      // Killed while opening its run, the run may not exist yet: then the next one is new.
      if (open?.state === 'running') {
        expect(stderr).toContain(`resuming run ${open.id} (interrupted, ${open.pages} page`);
      }
      const runs = await runsOfJob(disposition);
      expect(runs[0]).toMatchObject({ state: 'finished', pages: 9 });
      expect(runs.filter((run) => run.state === 'finished')).toHaveLength(before + 1);
      // Earlier attempts that finished refreshed the topic: each adds one uninterrupted run's records.
      const runsWritten = runs.filter((run) => run.state === 'finished').length;
      const refreshes = listingLines.flatMap((line) => Array<string>(runsWritten - 1).fill(line));
      expect(await stored()).toEqual([...expected, ...refreshes].sort());
    });
  });

  it('a finished run is never resumed: the next `capital run` starts a new one and fetches every page; state show and reset read and forget them', async () => {
    await finish(capitalRun('merge'));
    emulator.resetStats();
    const stderr = await finish(capitalRun('merge'));
    expect(stderr).toMatch(/new run [0-9a-f]{8}, --write merge/);
    expect(emulator.stats().pages.filter((page) => page.searchTerm === 'new york')).toHaveLength(9);
    expect((await runsOfJob('merge')).map((run) => run.state)).toEqual(['finished', 'finished']);

    const state = ['wtd', '--search', 'new york', '--sink', `kafka://${brokers}/${topic}`];
    const shown = await runCli(['state', 'show', ...state, '--json'], { cwd: folder });
    expect(shown.code, shown.stderr).toBe(0);
    const { runs } = JSON.parse(shown.stdout) as { runs: { state: string; pages: number }[] };
    expect(runs.map((run) => [run.state, run.pages])).toEqual([
      ['finished', 9],
      ['finished', 9],
    ]);
    const reset = await runCli(['state', 'reset', ...state], { cwd: folder });
    expect(reset.stdout).toContain('forgot 2 runs');
    expect(await runsOfJob('merge')).toEqual([]);
  });
});

/** A record's JSON with its keys in a fixed order. */
function canonical(record: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1))));
}
