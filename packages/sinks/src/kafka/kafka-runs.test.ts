import { describe, expect, it } from 'vitest';
import { keptRunsPerJob } from '../runs.js';
import { type CheckpointEntry, KafkaRunBook, pageKey } from './kafka-runs.js';

const names = { topic: 'wtd', checkpointTopic: 'wtd.capital-checkpoints' };
const job = 'wtd {"search":"new york"}';

/** A book that committed `entries`, as the sink does after each transaction. */
function bookOf(...entries: CheckpointEntry[][]): KafkaRunBook {
  const book = new KafkaRunBook(names);
  for (const entry of entries.flat()) book.apply(entry);
  return book;
}

function page(runId: string, taskKey: string): CheckpointEntry {
  return { key: pageKey(runId, taskKey), value: Buffer.from('[]') };
}

describe('KafkaRunBook', () => {
  it('opens a new run when the job has none, with the since its watermark gives', () => {
    const book = bookOf();
    const { opened, entries } = book.open(job, 'merge', { kind: 'auto' }, () => '2026-01-01T00:00:00Z', 1000);
    expect(opened).toMatchObject({ resumed: false, pagesStored: 0, watermark: undefined });
    expect(opened.run).toMatchObject({
      job,
      state: 'running',
      startedAt: 1000,
      since: '2026-01-01T00:00:00Z',
    });
    expect(entries.map((entry) => entry.key)).toEqual([`run:${opened.run.id}`]);
  });

  it('resumes the latest unfinished run, counting its stored pages', () => {
    const first = bookOf().open(job, 'merge', { kind: 'auto' }, undefined, 1000);
    const book = bookOf(first.entries, [page(first.opened.run.id, 'a'), page(first.opened.run.id, 'b')]);
    const again = book.open(job, 'merge', { kind: 'auto' }, undefined, 2000);
    expect(again.opened).toMatchObject({ resumed: true, pagesStored: 2 });
    expect(again.opened.run.id).toBe(first.opened.run.id);
    expect(book.completed(first.opened.run.id, ['a', 'c'])).toEqual(new Map([['a', []]]));
  });

  it('starts a new run after a finished one, with its watermark, and tombstones older finished runs’ pages', () => {
    const book = bookOf();
    const one = book.open(job, 'merge', { kind: 'auto' }, undefined, 1000);
    one.entries.forEach((entry) => {
      book.apply(entry);
    });
    book.apply(page(one.opened.run.id, 'a'));
    book.finish(one.opened.run.id, 'W1', 1500).forEach((entry) => {
      book.apply(entry);
    });
    const two = book.open(job, 'merge', { kind: 'auto' }, undefined, 2000);
    expect(two.opened).toMatchObject({ resumed: false, watermark: 'W1' });
    two.entries.forEach((entry) => {
      book.apply(entry);
    });
    const finishing = book.finish(two.opened.run.id, 'W2', 2500);
    expect(finishing).toEqual([
      { key: pageKey(one.opened.run.id, 'a'), value: null },
      expect.objectContaining({ key: `run:${two.opened.run.id}` }),
    ]);
    finishing.forEach((entry) => {
      book.apply(entry);
    });
    expect(book.list(job).map((run) => [run.id, run.state, run.pages, run.watermark])).toEqual([
      [two.opened.run.id, 'finished', 0, 'W2'],
      [one.opened.run.id, 'finished', 1, 'W1'],
    ]);
  });

  it('marks the running runs interrupted when --fresh starts another, and keeps jobs apart', () => {
    const book = bookOf();
    const one = book.open(job, 'merge', { kind: 'auto' }, undefined, 1000);
    one.entries.forEach((entry) => {
      book.apply(entry);
    });
    const other = book.open('other', 'merge', { kind: 'auto' }, undefined, 1000);
    other.entries.forEach((entry) => {
      book.apply(entry);
    });
    const fresh = book.open(job, 'merge', { kind: 'fresh' }, undefined, 2000);
    fresh.entries.forEach((entry) => {
      book.apply(entry);
    });
    expect(book.list(job).map((run) => run.state)).toEqual(['running', 'interrupted']);
    expect(book.list('other').map((run) => run.state)).toEqual(['running']);
  });

  it("tombstones a job's runs beyond its newest, and their pages, as a new run opens, but its latest watermark", () => {
    const book = bookOf();
    const commit = (entries: readonly CheckpointEntry[]) => {
      for (const entry of entries) book.apply(entry);
    };
    const marked = book.open(job, 'merge', { kind: 'auto' }, undefined, 1000);
    commit(marked.entries);
    commit(book.finish(marked.opened.run.id, 'W1', 1100));
    commit(bookOf().open('another job', 'merge', { kind: 'auto' }, undefined, 1200).entries);
    const opened: string[] = [];
    let last: CheckpointEntry[] = [];
    for (let index = 0; index < keptRunsPerJob + 2; index += 1) {
      const next = book.open(job, 'merge', { kind: 'fresh' }, undefined, 2000 + index);
      last = next.entries;
      commit(next.entries);
      book.apply(page(next.opened.run.id, 'a'));
      opened.push(next.opened.run.id);
    }
    const dropped = opened[1] as string;
    expect(last.slice(-2)).toEqual([
      { key: pageKey(dropped, 'a'), value: null },
      { key: `run:${dropped}`, value: null },
    ]);
    const kept = opened.slice(-keptRunsPerJob).reverse();
    expect(book.list(job).map((run) => run.id)).toEqual([...kept, marked.opened.run.id]);
    expect(book.list('another job')).toHaveLength(1);
    expect(book.completed(dropped, ['a'])).toEqual(new Map());
    expect(book.completed(opened[0] as string, ['a'])).toEqual(new Map());
  });

  it('refuses to resume a run it does not have, or one started with another disposition', () => {
    const book = bookOf();
    expect(() => book.open(job, 'merge', { kind: 'resume', id: '0a1b2c3d' }, undefined, 1)).toThrow(
      expect.objectContaining({ code: 'RUN_NOT_FOUND' }),
    );
    bookOf()
      .open(job, 'append', { kind: 'auto' }, undefined, 1)
      .entries.forEach((entry) => {
        book.apply(entry);
      });
    expect(() => book.open(job, 'merge', { kind: 'auto' }, undefined, 2)).toThrow(
      expect.objectContaining({ code: 'RUN_DISPOSITION_MISMATCH' }),
    );
  });

  it('forgets a job’s runs and pages with tombstones, and ignores keys of neither shape', () => {
    const book = bookOf([{ key: 'f'.repeat(64), value: Buffer.from('[]') }]);
    const one = book.open(job, 'merge', { kind: 'auto' }, undefined, 1000);
    one.entries.forEach((entry) => {
      book.apply(entry);
    });
    book.apply(page(one.opened.run.id, 'a'));
    const { runs, entries } = book.reset(job);
    expect(runs).toBe(1);
    expect(entries.map((entry) => [entry.key, entry.value])).toEqual([
      [pageKey(one.opened.run.id, 'a'), null],
      [`run:${one.opened.run.id}`, null],
    ]);
    entries.forEach((entry) => {
      book.apply(entry);
    });
    expect(book.list(job)).toEqual([]);
  });

  it('records a deferred run as interrupted with its resumeAt, and drops it when the run goes on', () => {
    const first = bookOf().open(job, 'merge', { kind: 'auto' }, undefined, 1000);
    const deferredEntries = bookOf(first.entries).interrupt(first.opened.run.id, 3_601_000);
    const record = JSON.parse(String(deferredEntries[0]?.value)) as Record<string, unknown>;
    expect(record).toMatchObject({ id: first.opened.run.id, state: 'interrupted', resumeAt: 3_601_000 });
    const book = bookOf(first.entries, deferredEntries);
    expect(book.list(job)[0]).toMatchObject({ state: 'interrupted', resumeAt: 3_601_000 });
    const again = book.open(job, 'merge', { kind: 'auto' }, undefined, 4_000_000);
    expect(again.opened.run.state).toBe('running');
    expect(again.opened.run.resumeAt).toBeUndefined();
    expect(JSON.parse(String(again.entries.at(-1)?.value))).not.toHaveProperty('resumeAt');
  });

  it('reads run records written before deferred runs had a resumeAt', () => {
    const old = { id: '0a1b2c3d', job, state: 'interrupted', disposition: 'merge', startedAt: 1000 };
    const book = bookOf([{ key: 'run:0a1b2c3d', value: Buffer.from(JSON.stringify(old)) }]);
    expect(book.list(job)).toEqual([{ ...old, pages: 0 }]);
    expect(book.interrupt('0a1b2c3d')).toEqual([]);
  });

  it('refuses a run record or page that is not what the sink writes, naming it', () => {
    const book = bookOf();
    expect(() => book.apply({ key: 'run:0a1b2c3d', value: Buffer.from('{"id":"0a1b2c3d"}') })).toThrow(
      expect.objectContaining({ code: 'KAFKA_CHECKPOINT_INVALID' }),
    );
    expect(() => book.apply({ key: pageKey('0a1b2c3d', 'abc'), value: Buffer.from('{}') })).toThrow(
      /checkpoint of task abc/,
    );
  });
});
