import { describe, expect, it } from 'vitest';
import { MemoryCheckpointSink } from './memory-checkpoint-sink.js';

type Row = { id: string; value: number };
const page = (key: string, data: Row[], nextTasks: { page: number }[] = []) => ({
  key,
  task: { page: Number(key) },
  data,
  nextTasks,
});

describe('MemoryCheckpointSink', () => {
  it('answers the checkpoint with the next tasks of stored pages only', async () => {
    const sink = new MemoryCheckpointSink<Row>({ recordKey: (row) => row.id });
    await sink.write(page('1', [{ id: 'a', value: 1 }], [{ page: 2 }]));
    const stored = await sink.checkpoint.completed(['1', '2']);
    expect([...stored]).toEqual([['1', [{ page: 2 }]]]);
  });

  it('keeps one record per key, and counts every write of records and pages', async () => {
    const sink = new MemoryCheckpointSink<Row>({ recordKey: (row) => row.id });
    expect(
      await sink.write(
        page('1', [
          { id: 'a', value: 1 },
          { id: 'b', value: 2 },
        ]),
      ),
    ).toEqual({ key: '1', records: 2 });
    await sink.write(page('1', [{ id: 'a', value: 3 }]));
    expect([...sink.records()]).toEqual([
      ['a', { id: 'a', value: 3 }],
      ['b', { id: 'b', value: 2 }],
    ]);
    expect([...sink.recordWrites()]).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect([...sink.pageWrites()]).toEqual([['1', 2]]);
  });

  it('stores copies, so a caller changing its objects later changes nothing stored', async () => {
    const sink = new MemoryCheckpointSink<Row>({ recordKey: (row) => row.id });
    const row = { id: 'a', value: 1 };
    const next = [{ page: 2 }];
    await sink.write(page('1', [row], next));
    row.value = 99;
    (next[0] as { page: number }).page = 99;
    expect(sink.records().get('a')).toEqual({ id: 'a', value: 1 });
    expect((await sink.checkpoint.completed(['1'])).get('1')).toEqual([{ page: 2 }]);
  });
});
