import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TextSlab } from './text-slab.js';

describe('TextSlab', () => {
  test.prop([fc.array(fc.string({ unit: 'binary' }), { maxLength: 40 })])(
    'hands out the UTF-8 bytes of each text, untouched by the texts encoded after it',
    (texts) => {
      const slab = new TextSlab(256);
      const encoded = texts.map((text) => slab.encode(text));

      expect(encoded.map((bytes) => bytes.toString('utf8'))).toEqual(
        texts.map((text) => Buffer.from(text, 'utf8').toString('utf8')),
      );
      expect(encoded.map((bytes) => bytes.length)).toEqual(texts.map((text) => Buffer.byteLength(text)));
    },
  );

  it('puts texts encoded one after the other side by side in one slab', () => {
    const slab = new TextSlab(1024);
    const first = slab.encode('a\tb\n');
    const second = slab.encode('é\n');

    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset + first.length);
  });

  it('gives a text that could take more than a quarter of a slab a buffer of its own', () => {
    const slab = new TextSlab(1024);
    const small = slab.encode('x');
    const large = slab.encode('y'.repeat(100));

    expect(large.buffer).not.toBe(small.buffer);
    expect(large.toString()).toBe('y'.repeat(100));
  });
});
