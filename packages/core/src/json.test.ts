import { describe, expect, it } from 'vitest';
import { InvalidTaskError } from './errors.js';
import { canonicalJson } from './json.js';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('canonicalJson', () => {
  it('sorts object keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[true,null]},"b":1}',
    );
  });

  it('keeps the order of array items', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
  });

  it('escapes strings as JSON does, keys included', () => {
    expect(canonicalJson({ 'a"b': 'line\nbreak \u2028' })).toBe(
      JSON.stringify({ 'a"b': 'line\nbreak \u2028' }),
    );
  });

  it('accepts an object without a prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, number>, { b: 2, a: 1 });

    expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
  });

  it('accepts the same object twice when it is not its own ancestor', () => {
    const shared = { id: 1 };

    expect(canonicalJson({ left: shared, right: [shared] })).toBe('{"left":{"id":1},"right":[{"id":1}]}');
  });

  it.each([
    ['undefined', { filter: { since: undefined } }, '$.filter.since', 'undefined'],
    ['a function', { page: 1, next: () => 2 }, '$.next', 'function'],
    ['a symbol', { tag: Symbol('t') }, '$.tag', 'symbol'],
    ['a bigint', { ids: [1, 2n] }, '$.ids[1]', 'bigint'],
    ['NaN', { page: Number.NaN }, '$.page', 'the number NaN'],
    ['Infinity', { limit: [{ max: Number.POSITIVE_INFINITY }] }, '$.limit[0].max', 'the number Infinity'],
    ['-Infinity', { min: Number.NEGATIVE_INFINITY }, '$.min', 'the number -Infinity'],
    ['a Date', { since: new Date(0) }, '$.since', 'an instance of Date'],
    ['a Map', { seen: new Map() }, '$.seen', 'an instance of Map'],
    ['a class instance', { cursor: new (class Cursor {})() }, '$.cursor', 'an instance of Cursor'],
  ])('rejects %s with an InvalidTaskError naming its path', (_, value, path, what) => {
    const error = thrownBy(() => canonicalJson(value));

    expect(error).toBeInstanceOf(InvalidTaskError);
    expect((error as Error).message).toMatch(/^Task is not JSON-serialisable: /);
    expect((error as Error).message).toContain(`${path} is `);
    expect((error as Error).message).toContain(what);
  });

  it('rejects a cycle, naming the path that closes it', () => {
    const task: Record<string, unknown> = { type: 'loop', inner: {} };
    (task.inner as Record<string, unknown>).back = task;

    expect(() => canonicalJson(task)).toThrow(
      'Task is not JSON-serialisable: $.inner.back is a reference to one of its own ancestors (a cycle).',
    );
  });

  it('rejects an unserialisable value at the top level, naming it $', () => {
    expect(() => canonicalJson(undefined)).toThrow(/^Task is not JSON-serialisable: \$ is .*undefined/);
  });

  it('does not put the offending value in the message', () => {
    const error = thrownBy(() => canonicalJson({ credentials: 'env:WTD_API_TOKEN', at: new Date(0) }));

    expect(String((error as Error).message)).not.toContain('WTD_API_TOKEN');
  });
});
