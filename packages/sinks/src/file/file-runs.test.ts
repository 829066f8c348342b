import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDeferredError, type Task, taskKey } from '@capital/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keptRunsPerJob } from '../runs.js';
import type { SinkPage } from '../sink.js';
import { stateFileFor } from './file-runs.js';
import { FileSink } from './file-sink.js';
import { stateText } from './state-file.js';

type Row = { readonly id: string; readonly v: number };

function page(number: number, data: Row[]): SinkPage<Row> {
  const task: Task = { type: 'test.list', page: number };
  return { key: taskKey(task), task, data, nextTasks: [], fetchedAt: 0 };
}

describe('FileSink runs and dispositions', () => {
  let folder: string;
  let path: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'capital-file-runs-'));
    path = join(folder, 'out.ndjson');
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function run(disposition: 'append' | 'merge' | 'replace', rows: Row[], watermark?: string) {
    const sink = new FileSink<Row>({
      path,
      recordKey: (row) => row.id,
      disposition,
      job: 'job',
      fsync: false,
    });
    const opened = await sink.runs.open();
    await sink.write(page(1, rows));
    await sink.close({ watermark });
    return opened;
  }

  async function stored(): Promise<string[]> {
    const text = await readFile(path, 'utf8');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const { id, v } = JSON.parse(line) as Row;
        return `${id}=${v}`;
      });
  }

  it('replace puts the run’s records alone in the file', async () => {
    await run('replace', [{ id: 'a', v: 1 }]);
    await run('replace', [{ id: 'b', v: 2 }]);

    expect(await stored()).toEqual(['b=2']);
  });

  it('append keeps the old lines and adds the run’s', async () => {
    await run('append', [{ id: 'a', v: 1 }]);
    await run('append', [{ id: 'a', v: 2 }]);

    expect(await stored()).toEqual(['a=1', 'a=2']);
  });

  it('merge keeps one line per record key, the run’s copy', async () => {
    await run('merge', [
      { id: 'a', v: 1 },
      { id: 'b', v: 1 },
    ]);
    await run('merge', [
      { id: 'b', v: 2 },
      { id: 'c', v: 2 },
    ]);

    expect((await stored()).sort()).toEqual(['a=1', 'b=2', 'c=2']);
  });

  it('keeps the runs in a state file: finished with their watermark, a new run after a finished one', async () => {
    const first = await run('merge', [{ id: 'a', v: 1 }], '2026-11-01T00:00:00.000Z');
    const second = await run('merge', [{ id: 'a', v: 2 }]);

    expect(first.resumed).toBe(false);
    expect(second.resumed).toBe(false);
    expect(second.watermark).toBe('2026-11-01T00:00:00.000Z');
    const sink = new FileSink<Row>({ path, recordKey: (row) => row.id, disposition: 'merge', job: 'job' });
    const runs = await sink.runs.list();
    expect(runs.map((entry) => [entry.id, entry.state, entry.pages])).toEqual([
      [second.run.id, 'finished', 1],
      [first.run.id, 'finished', 1],
    ]);
    expect(runs[1]?.watermark).toBe('2026-11-01T00:00:00.000Z');
    expect(await sink.runs.reset()).toBe(2);
    expect(await sink.runs.list()).toEqual([]);
  });

  it('an aborted run leaves the old file as it was, and the next run resumes it', async () => {
    await run('replace', [{ id: 'a', v: 1 }]);
    const failing = new FileSink<Row>({
      path,
      recordKey: (row) => row.id,
      disposition: 'replace',
      job: 'job',
    });
    const opened = await failing.runs.open();
    await failing.write(page(1, [{ id: 'b', v: 2 }]));
    await failing.abort();

    expect(await stored()).toEqual(['a=1']);
    const next = new FileSink<Row>({ path, recordKey: (row) => row.id, disposition: 'replace', job: 'job' });
    const resumed = await next.runs.open();
    expect(resumed).toMatchObject({ resumed: true, run: { id: opened.run.id, state: 'running' } });
    await next.abort();
  });

  it('reads a damaged state file as no runs, dropping what is not a run', async () => {
    await writeFile(stateFileFor(path), JSON.stringify({ version: 1, runs: [{ id: 1 }, null, 'x'] }));
    const sink = new FileSink<Row>({ path, recordKey: (row) => row.id, job: 'job' });

    expect(await sink.runs.list()).toEqual([]);
  });

  it('refuses merge without a record key', () => {
    expect(() => new FileSink<Row>({ path, disposition: 'merge' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('records a deferred run with its resumeAt, reads state written before it, and drops a broken one', async () => {
    const sink = new FileSink<Row>({
      path,
      recordKey: (row) => row.id,
      disposition: 'merge',
      job: 'job',
      fsync: false,
    });
    const opened = await sink.runs.open();
    await sink.write(page(1, [{ id: 'a', v: 1 }]));
    await sink.abort(new RunDeferredError({ resumeAt: 5_000_000_000_000, waitMs: 3_600_000 }));
    expect(await new FileSink({ path, job: 'job', fsync: false }).runs.list()).toMatchObject([
      { id: opened.run.id, state: 'interrupted', resumeAt: 5_000_000_000_000 },
    ]);

    const old = {
      id: '0a1b2c3d',
      job: 'job',
      state: 'interrupted',
      disposition: 'merge',
      startedAt: 1,
      pages: 0,
    };
    await writeFile(
      stateFileFor(path),
      JSON.stringify({ version: 1, runs: [old, { ...old, id: '1b2c3d4e', resumeAt: 'soon' }] }),
    );
    const runs = await new FileSink({ path, job: 'job', fsync: false }).runs.list();
    expect(runs).toEqual([{ ...old, id: '1b2c3d4e' }, old]);

    const resuming = new FileSink<Row>({
      path,
      recordKey: (row) => row.id,
      job: 'job',
      disposition: 'merge',
      fsync: false,
    });
    const resumed = await resuming.runs.open();
    expect(resumed.run).not.toHaveProperty('resumeAt');
    // Its `running` mark is written after open() resolves: abort() waits for it, so nothing is
    // left writing into the folder once the test ends.
    await resuming.abort();
  });
  it('finishes the run only once the data is in place: a close whose output fails leaves it running', async () => {
    const sink = new FileSink<Row>({ path, recordKey: (row) => row.id, disposition: 'merge', job: 'job' });
    const opened = await sink.runs.open();
    await sink.write(page(1, [{ id: 'a', v: 1 }]));
    // The output cannot be read to merge into: a folder stands where the file should be.
    await mkdir(path);

    await expect(sink.close()).rejects.toThrow();

    const [run] = await sink.runs.list();
    expect(run?.id).toBe(opened.run.id);
    expect(run?.state).toBe('running');
    // The state file's next version, written while the data was flushed, is not left behind.
    expect(
      (await readdir(folder)).filter((name) => name.includes('runs.json') && name.endsWith('.partial')),
    ).toEqual([]);
  });

  it('keeps a job’s newest runs and its latest watermark, and leaves other jobs’ runs alone', async () => {
    const sinkOf = (job: string) =>
      new FileSink<Row>({ path, recordKey: (row) => row.id, disposition: 'merge', job, fsync: false });
    const other = sinkOf('other');
    await other.runs.open();
    await other.close();
    const marked = await run('merge', [{ id: 'a', v: 1 }], '2026-11-01T00:00:00.000Z');
    // Runs that fail after the finished one: each new run interrupts the last.
    const failed: string[] = [];
    for (let index = 0; index < keptRunsPerJob + 5; index += 1) {
      const sink = sinkOf('job');
      failed.push((await sink.runs.open({ choice: { kind: 'fresh' } })).run.id);
      await sink.write(page(1, [{ id: 'b', v: index }]));
      await sink.abort(new Error('the API went away'));
    }

    const runs = await sinkOf('job').runs.list();
    expect(runs.map((entry) => entry.id)).toEqual([
      ...failed.slice(-keptRunsPerJob).reverse(),
      marked.run.id,
    ]);
    expect(runs.at(-1)).toMatchObject({ state: 'finished', watermark: '2026-11-01T00:00:00.000Z' });
    expect(await sinkOf('other').runs.list()).toHaveLength(1);
    const next = sinkOf('job');
    expect((await next.runs.open({ choice: { kind: 'fresh' } })).watermark).toBe('2026-11-01T00:00:00.000Z');
    await next.abort();
  });

  it('reads the state file again once another process has replaced it', async () => {
    const sink = new FileSink<Row>({ path, recordKey: (row) => row.id, disposition: 'merge', job: 'job' });
    const opened = await sink.runs.open();
    await sink.runs.list();
    // Another writer of the same output adds its job's run, as a rename of a whole new version.
    const state = JSON.parse(await readFile(stateFileFor(path), 'utf8')) as { runs: unknown[] };
    const theirs = {
      id: 'feedbeef',
      job: 'theirs',
      state: 'finished',
      disposition: 'merge',
      startedAt: 1,
      pages: 3,
    };
    await writeFile(
      `${stateFileFor(path)}.new`,
      JSON.stringify({ version: 1, runs: [...state.runs, theirs] }),
    );
    await rename(`${stateFileFor(path)}.new`, stateFileFor(path));

    await sink.write(page(1, [{ id: 'a', v: 1 }]));
    await sink.close();

    const after = JSON.parse(await readFile(stateFileFor(path), 'utf8')) as {
      runs: { id: string; state: string }[];
    };
    expect(after.runs.map((entry) => [entry.id, entry.state])).toEqual([
      [opened.run.id, 'finished'],
      ['feedbeef', 'finished'],
    ]);
  });

  it('writes the state file as JSON, one run a line, each as it is now', async () => {
    await run('replace', [{ id: 'a', v: 1 }]);
    const second = await run('replace', [{ id: 'a', v: 2 }], '2026-11-02T00:00:00.000Z');

    const text = await readFile(stateFileFor(path), 'utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('{"version":1,"runs":[');
    expect(lines.slice(3)).toEqual([']}', '']);
    const runs = lines.slice(1, 3).map((line) => JSON.parse(line.replace(/,$/, '')) as { id: string });
    expect(JSON.parse(text)).toEqual({ version: 1, runs });
    expect(runs[1]).toMatchObject({
      id: second.run.id,
      state: 'finished',
      pages: 1,
      watermark: '2026-11-02T00:00:00.000Z',
    });
  });
});

describe('stateText', () => {
  it('is the JSON of the state, with or without runs', () => {
    const run = {
      id: 'a1b2c3d4',
      job: 'j',
      state: 'running',
      disposition: 'replace',
      startedAt: 1,
      pages: 0,
    } as const;
    for (const state of [
      { version: 1, runs: [] },
      { version: 1, runs: [run, { ...run, id: 'e5f6a7b8' }] },
    ] as const) {
      expect(JSON.parse(stateText({ version: 1, runs: [...state.runs] }))).toEqual(state);
    }
  });
});
