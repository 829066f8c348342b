import { type Task, taskKey } from '@capital/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { SinkPage } from '../sink.js';
import { SinkWriteError } from '../sink-error.js';
import { type CopyLineShape, copyText, escapeCopyText, pageLine } from './copy-rows.js';

const task = { type: 'test.list', page: 3 };

/** copyText's lines, without their newlines. */
function copyRows<D>(
  sinkPage: SinkPage<D>,
  recordKey: (record: D) => string,
  shape?: CopyLineShape,
): { rows: number; lines: string[] } {
  const text = copyText(sinkPage, recordKey, shape);
  expect(text.endsWith('\n') || text === '').toBe(true);
  return { rows: sinkPage.data.length, lines: text === '' ? [] : text.slice(0, -1).split('\n') };
}
function page<D>(data: readonly D[]): SinkPage<D> {
  return { key: taskKey(task), task, data, nextTasks: [], fetchedAt: 0 };
}

/** PostgreSQL's reading of one text-format field, for the round-trip property. */
function readCopyText(field: string): string {
  const escapes: Record<string, string> = { '\\': '\\', n: '\n', r: '\r', t: '\t' };
  return field.replace(/\\(.)/g, (_, character: string) => escapes[character] ?? character);
}

/** The records of COPY lines, as PostgreSQL reads their second field and jsonb parses it. */
function recordsReadBack(lines: readonly string[]): unknown[] {
  return lines.map((line) => JSON.parse(readCopyText(line.split('\t')[1] ?? '')));
}

const awkward = fc.constantFrom(
  '\\',
  '\t',
  '\n',
  '\r',
  '.',
  'N',
  '"',
  "'",
  'a',
  'é',
  '𝄞',
  '\u0001',
  '\u2028',
);

describe('copyText', () => {
  it('writes one line per record: record key, JSON, separated by a tab', () => {
    const rows = copyRows(
      page([
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
      ]),
      (record) => record.id,
    );

    expect(rows).toEqual({ rows: 2, lines: ['a\t{"id":"a","n":1}', 'b\t{"id":"b","n":2}'] });
  });

  it('writes the shape around each line: a head, the record index when numbered, and a tail', () => {
    const data = page([{ id: 'a' }, { id: 'b' }]);

    expect(copyText(data, (record) => record.id, { head: '7\t', numbered: true })).toBe(
      '7\t0\ta\t{"id":"a"}\n7\t1\tb\t{"id":"b"}\n',
    );
    expect(copyText(data, (record) => record.id, { tail: '\tx\t\\N' })).toBe(
      'a\t{"id":"a"}\tx\t\\N\nb\t{"id":"b"}\tx\t\\N\n',
    );
  });

  it('doubles the backslashes of the JSON, so that COPY reads the JSON back unchanged', () => {
    const rows = copyRows(page([{ id: 'a', text: 'tab\there "quoted" back\\slash' }]), (record) => record.id);

    // JSON `\t`, `\"` and `\\` each get their backslash doubled.
    expect(rows.lines).toEqual([
      `a\t${String.raw`{"id":"a","text":"tab\\there \\"quoted\\" back\\\\slash"}`}`,
    ]);
  });

  test.prop([fc.string({ unit: awkward })])('escapes any key so that COPY reads it back unchanged', (key) => {
    const [line] = copyRows(page([{}]), () => key).lines;
    const fields = (line ?? '').split('\t');

    expect(fields).toHaveLength(2);
    expect(readCopyText(fields[0] ?? '')).toBe(key);
  });

  test.prop([fc.jsonValue({ stringUnit: awkward })])(
    'escapes any record so that COPY reads its JSON back unchanged',
    (record) => {
      const [line] = copyRows(page([record]), () => 'k').lines;
      const fields = (line ?? '').split('\t');

      expect(fields).toHaveLength(2);
      expect(readCopyText(fields[1] ?? '')).toBe(JSON.stringify(record));
    },
  );

  it.each([
    ['a BigInt', { big: 1n }, /record 0 cannot be serialised as JSON: Do not know how to serialize a BigInt/],
    ['undefined', undefined, /record 0 cannot be serialised as JSON: undefined is not JSON/],
    ['a NUL character', { name: 'a\0b' }, /NUL character/],
    [
      'a lone surrogate',
      { name: 'a\ud800b' },
      /record 0 cannot be stored as jsonb: .*lone UTF-16 surrogate \(\\ud800\)/,
    ],
    ['a lone low surrogate in a key', { '\udc00': 1 }, /lone UTF-16 surrogate \(\\udc00\)/],
  ])('refuses %s as RECORD_NOT_SERIALISABLE, naming the page', (_, record, message) => {
    const attempt = () => copyRows(page([record]), () => 'k');

    expect(attempt).toThrow(SinkWriteError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'RECORD_NOT_SERIALISABLE', page: 3 }));
    expect(attempt).toThrow(message);
  });

  it('does not mistake an escaped backslash before "u0000" for a NUL character', () => {
    const record = { text: '\\u0000' };

    const rows = copyRows(page([record]), () => 'k');

    expect(rows.lines).toEqual([`k\t${String.raw`{"text":"\\\\u0000"}`}`]);
    expect(recordsReadBack(rows.lines)).toEqual([record]);
  });

  it('takes surrogate pairs, and the text "\\ud800" after a backslash, which jsonb stores', () => {
    const record = { text: '𝄞 \ud834\udd1e', raw: '\\ud800' };

    const rows = copyRows(page([record]), () => 'k');

    expect(rows.lines).toEqual([`k\t${String.raw`{"text":"𝄞 𝄞","raw":"\\\\ud800"}`}`]);
    expect(recordsReadBack(rows.lines)).toEqual([record]);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('no symbol');
      },
      /recordKey threw for record 0: no symbol/,
    ],
    ['returns a number', () => 7 as unknown as string, /the key of record 0 is 7/],
    ['returns undefined', () => undefined as unknown as string, /the key of record 0 is undefined/],
    ['returns a NUL character', () => 'a\0', /a string with a NUL character/],
  ])('refuses a recordKey that %s as RECORD_KEY_INVALID', (_, recordKey, message) => {
    const attempt = () => copyRows(page([{}]), recordKey);

    expect(attempt).toThrow(expect.objectContaining({ code: 'RECORD_KEY_INVALID' }));
    expect(attempt).toThrow(message);
  });
});

describe('pageLine', () => {
  const values = {
    runId: 'r1',
    connector: 'wtd',
    taskKey: 'k1',
    page: 3,
    fetchedAt: '2024-03-01T12:00:00.000Z',
  };

  it('writes the page as a line with no record key: its provenance, next tasks and record count', () => {
    const next = { type: 'test.list', page: 4, term: 'tab\there \\' };
    const line = pageLine({ ...page([]), nextTasks: [next] }, values, 7);
    const [ord, key, json] = line.split('\t');

    expect([ord, key]).toEqual(['-1', '\\N']);
    expect(JSON.parse(readCopyText(json ?? ''))).toEqual({
      run_id: 'r1',
      connector: 'wtd',
      task_key: 'k1',
      page: 3,
      fetched_at: '2024-03-01T12:00:00.000Z',
      next_tasks: [next],
      records: 7,
    });
  });

  it.each([
    ['a BigInt', { type: 'test.list', big: 1n }, /next tasks cannot be serialised as JSON/],
    [
      'a NUL character',
      { type: 'test.list', term: 'a\0' },
      /cannot be stored as jsonb: it holds a NUL character/,
    ],
    ['a lone surrogate', { type: 'test.list', term: '\ud800' }, /lone UTF-16 surrogate/],
  ])('refuses next tasks holding %s as PAGE_NOT_SERIALISABLE, naming the page', (_, next, message) => {
    // A BigInt is no JSON, which Task forbids: the cast stands for a connector that slipped.
    const attempt = () => pageLine({ ...page([]), nextTasks: [next as Task] }, values, 0);

    expect(attempt).toThrow(expect.objectContaining({ code: 'PAGE_NOT_SERIALISABLE', page: 3 }));
    expect(attempt).toThrow(message);
  });
});

describe('escapeCopyText', () => {
  it('escapes backslash, newline, carriage return and tab, and nothing else', () => {
    expect(escapeCopyText('a\\b\nc\rd\te"f\'g')).toBe('a\\\\b\\nc\\rd\\te"f\'g');
  });
});
