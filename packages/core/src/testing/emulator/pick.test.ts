import { seededRandom } from '@capital/core/testing';
import { describe, expect, it } from 'vitest';
import { pick } from './pick.js';

describe('pick', () => {
  it('refuses an empty list', () => {
    expect(() => pick(seededRandom(1), [])).toThrow(RangeError);
  });
});
