// A `capital run` killed with SIGKILL gets no chance to delete its hidden partial file; the
// next run to the same path must.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateListings,
  type RunningEmulator,
  searchListings,
  startEmulator,
} from '@capital/wtd-connector/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runWtdArgs } from '../fixtures/run-args.js';
import { outputFiles } from '../output-files.js';
import { assertCliBuilt, runCli, startCli } from '../run-cli.js';

const token = 'partial-token';

describe('capital run after a run to the same file was SIGKILLed', () => {
  let emulator: RunningEmulator;
  let folder: string;

  beforeEach(async () => {
    assertCliBuilt();
    emulator = await startEmulator({ tokens: [token], rateLimit: false });
    folder = await mkdtemp(join(tmpdir(), 'capital-partial-'));
  });
  afterEach(async () => {
    await emulator.close();
    await rm(folder, { recursive: true, force: true });
  });

  const args = (rate: string) => [
    ...runWtdArgs({ search: 'group', baseUrl: emulator.url, token, rate }),
    '--out',
    join(folder, 'out.ndjson'),
  ];

  /**
   * The hidden partial files of the output, with their sizes (not those of the runs' state file,
   * `..out.ndjson.runs.json.….partial`, which live only while the state is written; one may also
   * vanish between the listing and its stat, renamed into place).
   */
  async function partials(): Promise<Map<string, number>> {
    const names = (await readdir(folder)).filter(
      (name) => name.endsWith('.partial') && !name.includes('.out.ndjson.runs.json.'),
    );
    const sizes = new Map<string, number>();
    for (const name of names) {
      const size = await stat(join(folder, name)).then(
        (stats) => stats.size,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        },
      );
      if (size !== undefined) sizes.set(name, size);
    }
    return sizes;
  }

  const isPagesFile = (name: string) => name.startsWith('.out.ndjson.pages.');

  it('removes the partial file the killed run left, and writes the file whole', async () => {
    // 49 pages at 2/s: the kill lands long before the end.
    const killed = startCli(args('2/1s'), { cwd: folder, env: { REDIS_URL: '' } });
    const deadline = Date.now() + 60_000;
    // The run's lines hold something (its pages file, the key and next tasks of each page, is
    // made only once those outgrow a 64 KB batch or the run is deferred: not in 49 small pages).
    const started = (found: Map<string, number>) =>
      [...found].some(([name, size]) => !isPagesFile(name) && size > 0);
    while (!started(await partials())) {
      if (killed.child.exitCode !== null || Date.now() > deadline)
        throw new Error('no partial file appeared');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    killed.child.kill('SIGKILL');
    await killed.exited;
    // Its lines, left behind.
    const left = [...(await partials()).keys()];
    expect(left.map(isPagesFile)).toEqual([false]);

    const rerun = await runCli(args('off'), { cwd: folder, env: { REDIS_URL: '' } });

    expect(rerun.code).toBe(0);
    expect(await outputFiles(folder)).toEqual(['out.ndjson']);
    const symbols = (await readFile(join(folder, 'out.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { symbol: string }).symbol);
    expect(symbols.sort()).toEqual(
      searchListings(generateListings(), 'group')
        .map((listing) => listing.symbol)
        .sort(),
    );
  });
});
