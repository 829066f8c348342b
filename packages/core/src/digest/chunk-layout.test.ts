import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ChunkLayout } from './chunk-layout.js';

describe('ChunkLayout', () => {
  prop.prop([fc.integer({ min: 0, max: 5 })])(
    'gives every entry its own place, chunk after chunk, each opened by its first entry',
    (smallBits) => {
      const layout = new ChunkLayout(smallBits);
      const sizes: number[] = [];
      let chunkStart = 0;
      // Through the 16 small chunks and a few big ones.
      const count = (16 << smallBits) + (3 << (smallBits + 4)) + 5;
      for (let number = 0; number < count; number += 1) {
        const opened = layout.opens(number);
        if (opened > 0) {
          chunkStart = number;
          sizes.push(opened);
        }
        // Entries fill their chunk in order, from its first place, and never overflow it.
        const offset = layout.offsetOf(number);
        if (layout.chunkOf(number) !== sizes.length - 1 || offset !== number - chunkStart) {
          expect({ number, chunk: layout.chunkOf(number), offset }).toEqual({
            number,
            chunk: sizes.length - 1,
            offset: number - chunkStart,
          });
        }
        if (offset >= (sizes.at(-1) as number)) expect(offset).toBeLessThan(sizes.at(-1) as number);
      }
      expect(sizes.slice(0, 16)).toEqual(Array(16).fill(1 << smallBits));
      expect(sizes.slice(16)).toEqual(Array(4).fill(1 << (smallBits + 4)));
    },
  );

  it('keeps ten million entries in under 200 chunks', () => {
    expect(new ChunkLayout(12).chunkOf(10_000_000)).toBeLessThan(200);
  });
});
