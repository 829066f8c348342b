import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { canonicalJson } from './json.js';

/** The same JSON value with every object's keys written in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reverseKeys(item)]),
  );
}

describe('canonicalJson', () => {
  it.prop([fc.jsonValue()], { numRuns: 200 })('reads back as what JSON.stringify writes', (value) => {
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it.prop([fc.jsonValue()], { numRuns: 200 })(
    'does not depend on the order keys were written in',
    (value) => {
      expect(canonicalJson(reverseKeys(value))).toBe(canonicalJson(value));
    },
  );
});
