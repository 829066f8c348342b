import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stateFileFor } from './file-runs.js';
import { FileSink } from './file-sink.js';

// The state file's reads, counted: the file sink reads it through this module.
const reads = vi.hoisted(() => ({ paths: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    readFile: ((path: string, ...rest: []) => {
      reads.paths.push(String(path));
      return real.readFile(path, ...rest);
    }) as typeof real.readFile,
  };
});

describe('FileRuns reading the state file', () => {
  let folder: string;
  let path: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'capital-file-runs-cache-'));
    path = join(folder, 'out.ndjson');
    reads.paths.length = 0;
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function run(job = 'job'): Promise<void> {
    const sink = new FileSink({ path, job, fsync: false });
    await sink.runs.open();
    await sink.write({
      key: 'k',
      task: { type: 't', page: 1 },
      data: [{ id: 'a' }],
      nextTasks: [],
      fetchedAt: 0,
    });
    await sink.close();
  }

  const stateReads = () => reads.paths.filter((read) => read === stateFileFor(path)).length;

  it('does not read again, in a later run of the same process, the version this process wrote', async () => {
    await run();
    await run();
    await run();

    expect(stateReads()).toBe(0);
    expect(await new FileSink({ path, job: 'job' }).runs.list()).toHaveLength(3);
  });

  it('reads the version another process renamed into place since', async () => {
    await run();
    const state = JSON.parse(await readFile(stateFileFor(path), 'utf8')) as { runs: { job: string }[] };
    await writeFile(
      `${stateFileFor(path)}.other`,
      JSON.stringify({ ...state, runs: [...state.runs, { ...state.runs[0], id: 'other', job: 'other' }] }),
    );
    await rename(`${stateFileFor(path)}.other`, stateFileFor(path));

    await run();

    expect(stateReads()).toBe(2); // the test's own read, then the run's
    const after = JSON.parse(await readFile(stateFileFor(path), 'utf8')) as { runs: { id: string }[] };
    expect(after.runs.map((entry) => entry.id)).toContain('other');
  });
});
