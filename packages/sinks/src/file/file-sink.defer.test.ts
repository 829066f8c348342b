import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDeferredError, type Task, taskKey, type WriteDisposition } from '@capital/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SinkPage } from '../sink.js';
import { FileSink } from './file-sink.js';

type Listing = { readonly symbol: string };

/** Page `page` of a list, with its records and the next page as its next task. */
function sinkPage(page: number, symbols: readonly string[]): SinkPage<Listing> {
  const task: Task = { type: 'test.list', page };
  return {
    key: taskKey(task),
    task,
    data: symbols.map((symbol) => ({ symbol })),
    nextTasks: [{ type: 'test.list', page: page + 1 }],
    fetchedAt: 0,
  };
}

const deferral = () => new RunDeferredError({ resumeAt: Date.now() + 3_600_000, waitMs: 3_600_000 });

let folder: string;
let path: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'file-sink-defer-'));
  path = join(folder, 'out.ndjson');
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

function openSink(disposition: WriteDisposition = 'replace'): FileSink<Listing> {
  return new FileSink<Listing>({ path, recordKey: (record) => record.symbol, job: 'job', disposition });
}

async function symbolsIn(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (JSON.parse(line) as Listing).symbol);
}

describe('FileSink, deferred', () => {
  it.each(['replace', 'merge', 'append'] as const)(
    'keeps a deferred run’s lines, and its resume (%s) skips those pages and writes every record once',
    async (disposition) => {
      const first = openSink(disposition);
      const { run } = await first.runs.open();
      await first.write(sinkPage(1, ['A', 'B']));
      await first.write(sinkPage(2, ['C']));
      await first.abort(deferral());
      expect((await first.runs.list())[0]).toMatchObject({ id: run.id, state: 'interrupted' });
      expect(await readdir(folder)).not.toContain('out.ndjson');

      const second = openSink(disposition);
      const opened = await second.runs.open();
      expect(opened).toMatchObject({ resumed: true, pagesStored: 2, run: { id: run.id } });
      const stored = await second.checkpoint?.completed([
        sinkPage(1, []).key,
        sinkPage(3, []).key,
        sinkPage(2, []).key,
      ]);
      expect(stored).toEqual(
        new Map([
          [sinkPage(1, []).key, [{ type: 'test.list', page: 2 }]],
          [sinkPage(2, []).key, [{ type: 'test.list', page: 3 }]],
        ]),
      );
      await second.write(sinkPage(3, ['D']));
      const summary = await second.close();

      expect(summary).toMatchObject({ pages: 3, records: 4 });
      expect(await symbolsIn(path)).toEqual(['A', 'B', 'C', 'D']);
      expect(await readdir(folder)).toEqual(['.out.ndjson.runs.json', 'out.ndjson']);
      expect((await second.runs.list())[0]).toMatchObject({ id: run.id, state: 'finished', pages: 3 });
    },
  );

  it('keeps what a resumed run took over when it is deferred again before writing a page', async () => {
    const first = openSink();
    await first.runs.open();
    await first.write(sinkPage(1, ['A']));
    await first.abort(deferral());
    const second = openSink();
    await second.runs.open();
    await second.abort(deferral());

    const third = openSink();
    expect(await third.runs.open()).toMatchObject({ resumed: true, pagesStored: 1 });
    await third.write(sinkPage(2, ['B']));
    await third.close();
    expect(await symbolsIn(path)).toEqual(['A', 'B']);
  });

  it('deletes what the run wrote when aborted for any other reason: its resume starts over', async () => {
    const first = openSink();
    await first.runs.open();
    await first.write(sinkPage(1, ['A']));
    await first.abort(new Error('the disk is full'));

    const second = openSink();
    expect(await second.runs.open()).toMatchObject({ resumed: true, pagesStored: 0 });
    expect(second.checkpoint).toBeUndefined();
    // The run's `running` mark is written after open() resolves; list() waits for it.
    expect(await second.runs.list()).toMatchObject([{ state: 'running' }]);
    expect(await readdir(folder)).toEqual(['.out.ndjson.runs.json']);
  });

  it('forgets what a deferred run kept when the job is reset', async () => {
    const first = openSink();
    await first.runs.open();
    await first.write(sinkPage(1, ['A']));
    await first.abort(deferral());
    expect((await readdir(folder)).length).toBe(3);

    expect(await openSink().runs.reset()).toBe(1);
    expect(await readdir(folder)).toEqual([]);
  });

  it('keeps the pages without next tasks too, those held unwritten and those written in batches', async () => {
    // The last page of each 1 000 has a next task: the others (keys of 64 characters, lines of
    // ~90) outgrow a batch (64 KB) every ~730 pages.
    const mixedPage = (page: number): SinkPage<Listing> => ({
      ...sinkPage(page, [`S${page}`]),
      nextTasks: page % 1_000 === 0 ? [{ type: 'test.list', page: page + 1 }] : [],
    });
    const first = openSink();
    await first.runs.open();
    for (let page = 1; page <= 2_000; page += 1) await first.write(mixedPage(page));
    expect((await readdir(folder)).some((name) => name.startsWith('.out.ndjson.pages.'))).toBe(true);
    await first.abort(deferral());

    const second = openSink();
    expect(await second.runs.open()).toMatchObject({ resumed: true, pagesStored: 2_000 });
    const keys = Array.from({ length: 2_001 }, (_, index) => mixedPage(index + 1).key);
    const stored = await second.checkpoint?.completed(keys);
    expect([...(stored?.keys() ?? [])]).toEqual(keys.slice(0, 2_000));
    expect(stored?.get(keys[0] as string)).toEqual([]);
    expect(stored?.get(keys[999] as string)).toEqual([{ type: 'test.list', page: 1_001 }]);
    expect(stored?.get(keys[1_999] as string)).toEqual([{ type: 'test.list', page: 2_001 }]);
    await second.write(mixedPage(2_001));
    await second.close();
    expect((await symbolsIn(path)).length).toBe(2_001);
  });

  it('keeps every page of a run whose pages file was written in batches, then deferred twice', async () => {
    // Next tasks of ~2 KB a page: the pages file's lines outgrow a batch (64 KB) every ~30 pages.
    const bigPage = (page: number): SinkPage<Listing> => ({
      ...sinkPage(page, [`S${page}`]),
      nextTasks: [{ type: 'test.list', page: page + 1, note: 'x'.repeat(2_000) }],
    });
    const first = openSink();
    await first.runs.open();
    for (let page = 1; page <= 70; page += 1) await first.write(bigPage(page));
    expect((await readdir(folder)).some((name) => name.startsWith('.out.ndjson.pages.'))).toBe(true);
    await first.abort(deferral());

    const second = openSink();
    expect(await second.runs.open()).toMatchObject({ resumed: true, pagesStored: 70 });
    for (let page = 71; page <= 75; page += 1) await second.write(bigPage(page));
    await second.abort(deferral());

    const third = openSink();
    expect(await third.runs.open()).toMatchObject({ resumed: true, pagesStored: 75 });
    const keys = Array.from({ length: 76 }, (_, index) => bigPage(index + 1).key);
    const stored = await third.checkpoint?.completed(keys);
    expect([...(stored?.keys() ?? [])]).toEqual(keys.slice(0, 75));
    expect(stored?.get(keys[74] as string)).toEqual(bigPage(75).nextTasks);
    await third.write(bigPage(76));
    await third.close();
    expect(await symbolsIn(path)).toEqual(Array.from({ length: 76 }, (_, index) => `S${index + 1}`));
    expect(await readdir(folder)).toEqual(['.out.ndjson.runs.json', 'out.ndjson']);
  });
});
