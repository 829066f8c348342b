import { createHash } from 'node:crypto';
import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { digestOfText } from './digest-of.js';

describe('digestOfText', () => {
  // Digests are stored (a Redis set of seen keys, kept across runs): they must stay the first
  // 128 bits of the key's SHA-256, big-endian, however they are computed.
  it.prop([fc.string({ unit: 'binary' })])(
    'is the first 128 bits of the SHA-256 of the text, as four big-endian words',
    (text) => {
      const hash = createHash('sha256').update(text).digest();
      const expected = [0, 4, 8, 12].map((at) => hash.readUInt32BE(at));
      expect([...digestOfText(text)]).toEqual(expected);
    },
  );
});
