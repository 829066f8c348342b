import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type Task, taskKey } from '@capital/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { FileSink } from './file-sink.js';
import { partialPathFor, processStart } from './stale-partials.js';

type Listing = { symbol: string; name: string; price: string | null };

const fetchedAt = Date.parse('2024-03-01T12:00:00.000Z');

function listing(symbol: string): Listing {
  return { symbol, name: `${symbol} Holdings`, price: '12.50' };
}

function sinkPage<D>(page: number | undefined, data: readonly D[]): SinkPage<D> {
  const task: Task = page === undefined ? { type: 'test.list' } : { type: 'test.list', page };
  return { key: taskKey(task), task, data, nextTasks: [], fetchedAt };
}

async function readLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text === ''
    ? []
    : text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
}

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'file-sink-test-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('FileSink', () => {
  it('writes one line per record: the API fields unchanged, then the provenance', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path, recordKey: (record) => record.symbol });
    const page = sinkPage(2, [listing('AAA'), { symbol: 'BBB', name: 'Crédit "B" \n Ltd', price: null }]);

    await sink.write(page);
    await sink.close();

    const lines = await readLines(path);
    expect(lines).toEqual(
      page.data.map((record) => ({
        ...record,
        _task_key: page.key,
        _page: 2,
        _fetched_at: '2024-03-01T12:00:00.000Z',
        _record_key: record.symbol,
      })),
    );
    expect(Object.keys(lines[0] ?? {})).toEqual([
      'symbol',
      'name',
      'price',
      '_task_key',
      '_page',
      '_fetched_at',
      '_record_key',
    ]);
  });

  it('leaves out _record_key without a recordKey', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });

    await sink.write(sinkPage(1, [listing('AAA')]));
    await sink.close();

    expect(Object.keys((await readLines(path))[0] ?? {})).not.toContain('_record_key');
  });

  it('writes _page as null for a task without a page number', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });

    await sink.write(sinkPage(undefined, [listing('AAA')]));
    await sink.close();

    expect((await readLines(path))[0]).toMatchObject({ _page: null });
  });

  it('writes a record without fields as a line of provenance only', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<object>({ path });
    const page = sinkPage(1, [{}]);

    await sink.write(page);
    await sink.close();

    expect(await readLines(path)).toEqual([
      { _task_key: page.key, _page: 1, _fetched_at: '2024-03-01T12:00:00.000Z' },
    ]);
  });

  it('keeps the pages in the order they were written and reports them on close', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });

    const receipts = [
      await sink.write(sinkPage(1, [listing('A1'), listing('A2')])),
      await sink.write(sinkPage(3, [listing('C1')])),
      await sink.write(sinkPage(2, [])),
    ];
    const summary = await sink.close();

    expect((await readLines(path)).map((line) => line.symbol)).toEqual(['A1', 'A2', 'C1']);
    expect(receipts.map((receipt) => receipt.records)).toEqual([2, 1, 0]);
    expect(summary).toEqual({ pages: 3, records: 3, location: path });
  });

  it('takes several writes at once and keeps them in the order they came', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });
    const symbols = Array.from({ length: 40 }, (_, index) => `S${index}`);

    expect(sink.maxPendingWrites).toBeGreaterThan(1);
    await Promise.all(symbols.map((symbol, index) => sink.write(sinkPage(index + 1, [listing(symbol)]))));
    await sink.close();

    expect((await readLines(path)).map((line) => line.symbol)).toEqual(symbols);
  });

  it('writes pages of every size exactly, in waves of writes at once, though it reuses its buffers', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path, maxPendingWrites: 3 });
    // Large, small and empty pages in turn: a buffer taken back after a large page holds its
    // bytes beyond what a small one writes, and must not be reused while a write has it.
    const sizes = [3000, 1, 0, 5000, 2, 40_000, 7, 1200, 1, 3];
    const pages = sizes.map((size, page) =>
      sinkPage(
        page,
        Array.from({ length: size }, (_, index) => listing(`P${page}-${index}-${'é'.repeat(index % 7)}`)),
      ),
    );

    for (let at = 0; at < pages.length; at += 3) {
      await Promise.all(pages.slice(at, at + 3).map((page) => sink.write(page)));
    }
    await sink.close();

    const expected = pages.flatMap((page) => page.data.map((record) => record.symbol));
    expect((await readLines(path)).map((line) => line.symbol)).toEqual(expected);
  });

  it('puts nothing at the target path until close()', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });

    await sink.write(sinkPage(1, [listing('AAA')]));
    await sink.write(sinkPage(2, [listing('BBB')]));

    expect(existsSync(path)).toBe(false);
    // The pages file is made only once its lines outgrow a batch (or the run is deferred).
    expect(await outputFiles(folder)).toEqual([basename(sink.temporaryPath)]);
    await sink.close();
    expect(existsSync(path)).toBe(true);
  });

  it('writes to a hidden temporary file beside the target', () => {
    const sink = new FileSink<Listing>({ path: join(folder, 'out.ndjson') });

    expect(dirname(sink.temporaryPath)).toBe(folder);
    expect(basename(sink.temporaryPath)).toMatch(/^\.out\.ndjson\..+\.partial$/);
  });

  it("names its temporary file after this process's pid and start time", () => {
    const sink = new FileSink<Listing>({ path: join(folder, 'out.ndjson') });

    const start = processStart(process.pid);
    const owner = start === undefined ? `${process.pid}` : `${process.pid}-${start}`;
    expect(basename(sink.temporaryPath)).toMatch(
      new RegExp(`^\\.out\\.ndjson\\.${owner}\\.[0-9a-f]{8}\\.partial$`),
    );
  });

  it('counts the names of its temporary files up from a random start, unique in the process', () => {
    const names = Array.from({ length: 3 }, () => partialPathFor(join(folder, 'out.ndjson')));
    const counts = names.map((name) =>
      Number.parseInt(/\.([0-9a-f]{8})\.partial$/.exec(name)?.[1] ?? '', 16),
    );

    expect(counts[1]).toBe(((counts[0] as number) + 1) >>> 0);
    expect(counts[2]).toBe(((counts[0] as number) + 2) >>> 0);
  });

  it('removes the temporary files of writers that no longer run, and only those', async () => {
    const path = join(folder, 'out.ndjson');
    // A process that has ended: its pid names nobody now (or, at worst, a process started later).
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    const alive = process.ppid;
    const aliveStart = processStart(alive);
    const stale = [
      `.out.ndjson.${ended}-12345.0badf00d.partial`,
      `.out.ndjson.${ended}.0badf00d.partial`,
      // The pid lives, but another process has it: the start time differs.
      `.out.ndjson.${alive}-${Number(aliveStart) + 1}.0badf00d.partial`,
      // Its pages file's and its state file's, swept in the same read of the folder.
      `.out.ndjson.pages.${ended}-12345.0badf00d.partial`,
      `..out.ndjson.runs.json.${ended}-12345.0badf00d.partial`,
    ];
    const kept = [
      `.out.ndjson.${alive}-${aliveStart}.0badf00d.partial`,
      `.out.ndjson.${alive}.0badf00d.partial`,
      // Another sink of this very process, writing the same path.
      `.out.ndjson.${process.pid}-${processStart(process.pid)}.0badf00d.partial`,
      // Not partials of this path.
      `.other.ndjson.${ended}-1.0badf00d.partial`,
      `.out.ndjson.${ended}-1.0badf00d.partial.keep`,
      'out.ndjson.notes',
    ];
    for (const name of [...stale, ...kept]) await writeFile(join(folder, name), 'x');
    const sink = new FileSink<Listing>({ path });

    await sink.write(sinkPage(1, [listing('AAA')]));

    expect((await outputFiles(folder)).sort()).toEqual([...kept, basename(sink.temporaryPath)].sort());
    await sink.close();
    expect(await readFile(path, 'utf8')).toContain('AAA');
  });

  it('leaves only the target file once closed', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });

    await sink.write(sinkPage(1, [listing('AAA')]));
    await sink.close();

    expect(await outputFiles(folder)).toEqual(['out.ndjson']);
  });

  it('produces an empty file when closed without a page', async () => {
    const path = join(folder, 'out.ndjson');

    const summary = await new FileSink<Listing>({ path }).close();

    expect(await readFile(path, 'utf8')).toBe('');
    expect(summary).toEqual({ pages: 0, records: 0, location: path });
  });

  it('creates the folders of the target path', async () => {
    const path = join(folder, 'a', 'b', 'out.ndjson');
    const sink = new FileSink<Listing>({ path, fsync: false });

    await sink.write(sinkPage(1, [listing('AAA')]));
    await sink.close();

    expect(await readLines(path)).toHaveLength(1);
  });

  it('resolves a relative path against the working folder', () => {
    const sink = new FileSink<Listing>({ path: 'data/out.ndjson' });

    expect(sink.path).toBe(join(process.cwd(), 'data', 'out.ndjson'));
  });

  it('leaves neither the target nor the temporary file when aborted after writing', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });
    await sink.write(sinkPage(1, [listing('AAA')]));

    await sink.abort();

    expect(await outputFiles(folder)).toEqual([]);
  });

  it('leaves no file when aborted while its first write is still opening the file', async () => {
    // The race is narrow (the file is opened on a worker thread), so try it a few times.
    for (let attempt = 0; attempt < 25; attempt += 1) {
      const sink = new FileSink<Listing>({ path: join(folder, `out-${attempt}.ndjson`) });
      const write = sink.write(sinkPage(1, [listing('AAA')])).catch((error: unknown) => error);

      await sink.abort();
      await write;
    }

    expect(await outputFiles(folder)).toEqual([]);
  });

  it('rejects a write still in flight when aborted, without an unhandled stream error', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });
    await sink.write(sinkPage(1, [listing('AAA')]));
    const unhandled = vi.fn();
    process.on('uncaughtException', unhandled);
    try {
      const big = Array.from({ length: 20_000 }, (_, index) => listing(`S${index}`));
      const write = sink.write(sinkPage(2, big)).then(
        () => 'written',
        (error: unknown) => error,
      );
      await Promise.resolve();

      await sink.abort();
      const outcome = await write;
      await drain();

      expect(outcome === 'written' || outcome instanceof SinkWriteError).toBe(true);
      expect(unhandled).not.toHaveBeenCalled();
      expect(await outputFiles(folder)).toEqual([]);
    } finally {
      process.off('uncaughtException', unhandled);
    }
  });

  it('creates nothing when aborted before any write', async () => {
    const sink = new FileSink<Listing>({ path: join(folder, 'sub', 'out.ndjson') });

    await sink.abort();

    expect(await outputFiles(folder)).toEqual([]);
  });

  it('keeps the finished file when aborted after close()', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Listing>({ path });
    await sink.write(sinkPage(1, [listing('AAA')]));
    await sink.close();

    await sink.abort();

    expect(await readLines(path)).toHaveLength(1);
  });

  it('refuses a record that cannot be serialised with RECORD_NOT_SERIALISABLE, naming its page', async () => {
    const sink = new FileSink<Record<string, unknown>>({ path: join(folder, 'out.ndjson') });
    const page = sinkPage(3, [{ symbol: 'OK' }, { symbol: 'BIG', shares: 10n }]);

    const error = await sink.write(page).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SinkWriteError);
    expect(error).toMatchObject({ code: 'RECORD_NOT_SERIALISABLE', page: 3, taskKey: page.key });
    expect((error as Error).message).toMatch(/page 3/);
    expect((error as Error).message).toMatch(/record 1 cannot be serialised/);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('writes none of a page that holds a record it cannot serialise', async () => {
    const path = join(folder, 'out.ndjson');
    const sink = new FileSink<Record<string, unknown>>({ path });
    await sink.write(sinkPage(1, [{ symbol: 'FIRST' }]));

    await sink.write(sinkPage(2, [{ symbol: 'OK' }, { symbol: 'BIG', shares: 10n }])).catch(() => {});
    const summary = await sink.close();

    expect((await readLines(path)).map((line) => line.symbol)).toEqual(['FIRST']);
    expect(summary).toMatchObject({ pages: 1, records: 1 });
  });

  it('refuses a record that is not a JSON object with RECORD_NOT_SERIALISABLE', async () => {
    const sink = new FileSink<unknown>({ path: join(folder, 'out.ndjson') });

    const error = await sink.write(sinkPage(4, ['just a string'])).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'SinkWriteError', code: 'RECORD_NOT_SERIALISABLE', page: 4 });
  });

  it('refuses a write after close()', async () => {
    const sink = new FileSink<Listing>({ path: join(folder, 'out.ndjson') });
    await sink.close();

    await expect(sink.write(sinkPage(1, [listing('AAA')]))).rejects.toBeInstanceOf(SinkWriteError);
  });

  it('refuses a write after abort()', async () => {
    const sink = new FileSink<Listing>({ path: join(folder, 'out.ndjson') });
    await sink.abort();

    await expect(sink.write(sinkPage(1, [listing('AAA')]))).rejects.toThrow(/aborted/);
    expect(await outputFiles(folder)).toEqual([]);
  });

  it('refuses to close twice', async () => {
    const sink = new FileSink<Listing>({ path: join(folder, 'out.ndjson') });
    await sink.close();

    await expect(sink.close()).rejects.toThrow(/closed/);
  });
});

/** Lets every pending microtask and I/O-free continuation run. */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The files in `folder` but the runs state file, which outlives every run on purpose. */
async function outputFiles(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((name) => !name.endsWith('.runs.json'));
}
