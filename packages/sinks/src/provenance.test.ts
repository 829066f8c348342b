import { describe, expect, it } from 'vitest';
import { provenanceLines, provenanceLinesInto } from './provenance.js';
import type { SinkPage } from './sink.js';

type Row = Record<string, unknown>;

const page = (data: readonly Row[]): SinkPage<Row> => ({
  key: 'listings|{"page":3}',
  task: { type: 'listings', page: 3 },
  data,
  nextTasks: [],
  fetchedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
});

const fail = (index: number, error: Error): never => {
  throw new Error(`record ${index}: ${error.message}`);
};

describe('provenanceLinesInto', () => {
  const rows: Row[] = [
    { symbol: 'AAPL', name: 'Apple' },
    {},
    { name: 'Société Générale — €, 日本, 🚀', quote: 'a "quoted" \\ line\nbreak' },
    { nested: { list: [1, 2, { deep: null }] }, big: 'x'.repeat(5000) },
  ];

  it('writes the bytes provenanceLines makes, with and without record keys', () => {
    for (const recordKey of [undefined, (row: Row) => String(row.symbol ?? row.name ?? 'none')]) {
      const expected = Buffer.from(provenanceLines(page(rows), recordKey, fail));

      const { buffer, bytes } = provenanceLinesInto(Buffer.alloc(1 << 16), page(rows), recordKey, fail);

      expect(buffer.subarray(0, bytes).equals(expected)).toBe(true);
    }
  });

  it('grows into a bigger buffer when the one given is too small, and tells each record key', () => {
    const small = Buffer.alloc(16);
    const keys: string[] = [];

    const { buffer, bytes } = provenanceLinesInto(
      small,
      page(rows),
      (row) => String(row.symbol ?? 'none'),
      fail,
      (key) => keys.push(key),
    );

    expect(buffer).not.toBe(small);
    expect(buffer.subarray(0, bytes).toString()).toBe(
      provenanceLines(page(rows), (row) => String(row.symbol ?? 'none'), fail),
    );
    expect(keys).toEqual(['AAPL', 'none', 'none', 'none']);
  });

  it('writes the same bytes for a page of many records, encoded in batches into buffers it grows', () => {
    const many = Array.from({ length: 2_000 }, (_, index) => rows[index % rows.length] as Row);
    const recordKey = (row: Row) => String(row.symbol ?? row.name ?? 'none');
    const expected = Buffer.from(provenanceLines(page(many), recordKey, fail));

    const { buffer, bytes } = provenanceLinesInto(Buffer.alloc(64), page(many), recordKey, fail);

    expect(bytes).toBe(expected.length);
    expect(buffer.subarray(0, bytes).equals(expected)).toBe(true);
  });

  it('names a record that is not a JSON object', () => {
    const bad = page([{ ok: 1 }, { n: 1n }]);

    expect(() => provenanceLinesInto(Buffer.alloc(1024), bad, undefined, fail)).toThrow('record 1:');
    expect(() =>
      provenanceLinesInto(Buffer.alloc(1024), page([[1] as unknown as Row]), undefined, fail),
    ).toThrow('record 0: the record is not a JSON object.');
  });
});
