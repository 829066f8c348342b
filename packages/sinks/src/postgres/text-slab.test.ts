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

  it('moves a piece that outgrows its slab to a larger buffer, whole', () => {
    const slab = new TextSlab(64);
    const before = slab.encode('x'.repeat(10));
    slab.begin();
    slab.write('ab');
    slab.write('é'.repeat(30));
    slab.writeBytes(Buffer.from('\n'));
    const moved = slab.end();

    expect(moved.toString()).toBe(`ab${'é'.repeat(30)}\n`);
    expect(moved.buffer).not.toBe(before.buffer);
    expect(before.toString()).toBe('x'.repeat(10));
  });

  it('drops what a piece begun and not ended wrote', () => {
    const slab = new TextSlab(1024);
    slab.begin();
    slab.write('abandoned');
    slab.begin();
    slab.write('kept');

    expect(slab.end().toString()).toBe('kept');
  });
});
