/**
 * SipHash-2-4 with a 128-bit output (Aumasson & Bernstein, https://github.com/veorq/SipHash), of
 * a string read as bytes: one a character when `wide` is false (every character must then be at
 * most 0xff), else each UTF-16 code unit as two bytes, little-endian. Written into `out` as four
 * words, each the little-endian reading of 4 bytes of the reference output (`out[0]` is bytes
 * 0–3); `key` is the 16-byte key read the same way.
 *
 * Written out on 32-bit halves in local variables, as no npm package has it fast: the ones there
 * are (`siphash`'s `siphash-double`) allocate objects for every 64-bit word and encode the string
 * first, ~2 µs a short key, against ~70 ns here.
 */
export function sipHash128(text: string, wide: boolean, key: Uint32Array, out: Uint32Array): Uint32Array {
  const k0l = key[0] as number;
  const k0h = key[1] as number;
  const k1l = key[2] as number;
  const k1h = key[3] as number;
  // v0 … v3 as low and high 32-bit halves ("somepseudorandomlygeneratedbytes"); v1 has the
  // 128-bit output's 0xee tweak.
  let v0l = k0l ^ 0x70736575;
  let v0h = k0h ^ 0x736f6d65;
  let v1l = k1l ^ 0x6e646f83;
  let v1h = k1h ^ 0x646f7261;
  let v2l = k0l ^ 0x6e657261;
  let v2h = k0h ^ 0x6c796765;
  let v3l = k1l ^ 0x79746573;
  let v3h = k1h ^ 0x74656462;
  const length = text.length;
  const perBlock = wide ? 4 : 8;
  const fullEnd = length - (length % perBlock);
  // Each full block, then the last (partial) one with the length, then the output's two halves:
  // one copy of the round below serves them all.
  let at = 0;
  let half = 0; // 0 while the message lasts, then the output half being made (1, 2)
  for (;;) {
    let ml = 0;
    let mh = 0;
    let rounds = 2;
    let last = false;
    if (half === 0) {
      if (at < fullEnd) {
        if (wide) {
          ml = text.charCodeAt(at) | (text.charCodeAt(at + 1) << 16);
          mh = text.charCodeAt(at + 2) | (text.charCodeAt(at + 3) << 16);
        } else {
          ml =
            text.charCodeAt(at) |
            (text.charCodeAt(at + 1) << 8) |
            (text.charCodeAt(at + 2) << 16) |
            (text.charCodeAt(at + 3) << 24);
          mh =
            text.charCodeAt(at + 4) |
            (text.charCodeAt(at + 5) << 8) |
            (text.charCodeAt(at + 6) << 16) |
            (text.charCodeAt(at + 7) << 24);
        }
        at += perBlock;
      } else {
        // The last block: what is left (< 8 bytes), and the byte length mod 256 in its top byte.
        const bits = wide ? 16 : 8;
        for (let shift = 0; at < length; at += 1, shift += bits) {
          const code = text.charCodeAt(at);
          if (shift < 32) ml |= code << shift;
          else mh |= code << (shift - 32);
        }
        mh |= ((wide ? length * 2 : length) & 0xff) << 24;
        last = true;
      }
      v3l ^= ml;
      v3h ^= mh;
    } else {
      if (half === 1) v2l ^= 0xee;
      else v1l ^= 0xdd;
      rounds = 4;
    }
    for (let round = 0; round < rounds; round += 1) {
      // 64-bit a += b as (a + b) | 0 on each half, the low half's carry from its top bits.
      let low = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~low)) >>> 31)) | 0;
      v0l = low;
      let rl = (v1l << 13) | (v1h >>> 19);
      let rh = (v1h << 13) | (v1l >>> 19);
      v1l = rl ^ v0l;
      v1h = rh ^ v0h;
      let swap = v0l;
      v0l = v0h;
      v0h = swap;
      low = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~low)) >>> 31)) | 0;
      v2l = low;
      rl = (v3l << 16) | (v3h >>> 16);
      rh = (v3h << 16) | (v3l >>> 16);
      v3l = rl ^ v2l;
      v3h = rh ^ v2h;
      low = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~low)) >>> 31)) | 0;
      v0l = low;
      rl = (v3l << 21) | (v3h >>> 11);
      rh = (v3h << 21) | (v3l >>> 11);
      v3l = rl ^ v0l;
      v3h = rh ^ v0h;
      low = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~low)) >>> 31)) | 0;
      v2l = low;
      rl = (v1l << 17) | (v1h >>> 15);
      rh = (v1h << 17) | (v1l >>> 15);
      v1l = rl ^ v2l;
      v1h = rh ^ v2h;
      swap = v2l;
      v2l = v2h;
      v2h = swap;
    }
    if (half === 0) {
      v0l ^= ml;
      v0h ^= mh;
      if (last) half = 1;
    } else {
      out[half * 2 - 2] = v0l ^ v1l ^ v2l ^ v3l;
      out[half * 2 - 1] = v0h ^ v1h ^ v2h ^ v3h;
      if (half === 2) return out;
      half = 2;
    }
  }
}
