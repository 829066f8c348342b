import { createHash } from 'node:crypto';
import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { digestOfKey, digestOfText } from './digest-of.js';

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

describe('digestOfKey', () => {
  const digestOf = (text: string): string => [...digestOfKey(text)].join(',');

  it.prop([fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 300 })])(
    'gives every distinct string a distinct digest, and the same string the same one',
    (texts) => {
      const digests = texts.map(digestOf);

      expect(new Set(digests).size).toBe(texts.length);
      expect(texts.map(digestOf)).toEqual(digests);
    },
  );

  it('tells apart strings whose bytes would read alike: one a character against UTF-16', () => {
    // '\u0000\u0001' read a byte a character is 00 01, '\u0100' in UTF-16LE is 00 01 too.
    expect(digestOf('\u0000\u0001')).not.toBe(digestOf('\u0100'));
    expect(digestOf('é')).not.toBe(digestOf('e\u0301'));
  });

  it('tells apart lone surrogates, which UTF-8 would all read as U+FFFD', () => {
    const lone = ['\ud800', '\udbff', '\udc00', '\udfff', '\ufffd'];

    expect(new Set(lone.map(digestOf)).size).toBe(lone.length);
  });
});
