import * as crypto from 'node:crypto';
import { sipHash128 } from './sip-hash.js';

const scratch = new Uint32Array(4);

/**
 * The first 128 bits of a 64-character hex key (a `taskKey`) as four words, in a shared scratch
 * array: read it at once. A key of another shape still gets a digest, with the whole string
 * folded into the last word.
 */
export function digestOfHex(key: string): Uint32Array {
  for (let word = 0; word < 4; word += 1) {
    let value = 0;
    for (let index = word * 8; index < word * 8 + 8; index += 1) {
      const code = key.charCodeAt(index);
      // '0'–'9' → 0–9, 'a'–'f' → 10–15; anything else (a key that is not hex) still mixes in.
      value = (value << 4) | (code <= 57 ? code - 48 : code - 87);
    }
    scratch[word] = value;
  }
  if (key.length !== 64) scratch[3] = (scratch[3] as number) ^ hashString(key);
  return scratch;
}

// `crypto.hash` (Node ≥ 20.12) hashes a string in one call; asked for a 'binary' (latin1) string (one
// character a byte) it is more than twice as fast again as when asked for a Buffer, whose
// allocation costs more than the hash of a short key.
const sha256Latin1: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'binary')
    : (text) => crypto.createHash('sha256').update(text).digest('binary');

/**
 * The first 128 bits of any string's SHA-256, in the shared scratch array: read it at once.
 * A cryptographic hash, because the strings may come from a hostile API: no one can make two
 * different keys collide and so have a record taken for a duplicate.
 */
export function digestOfText(text: string): Uint32Array {
  const hash = sha256Latin1(text);
  for (let word = 0; word < 4; word += 1) {
    const at = word * 4;
    scratch[word] =
      (hash.charCodeAt(at) << 24) |
      (hash.charCodeAt(at + 1) << 16) |
      (hash.charCodeAt(at + 2) << 8) |
      hash.charCodeAt(at + 3);
  }
  return scratch;
}

// The keys of `digestOfKey`, one for strings read a byte a character and one for those read as
// UTF-16 (the same bytes, as '\u0000\u0001' and '\u0100', must not give the same digest).
const sipKeys = crypto.getRandomValues(new Uint32Array(8));
const narrowKey = sipKeys.subarray(0, 4);
const wideKey = sipKeys.subarray(4, 8);

/**
 * A 128-bit digest of any string, in the shared scratch array (read it at once), for digests
 * that live no longer than the process: SipHash-2-4-128 under a random key of the process's, ~3×
 * as fast as {@link digestOfText} for a short key. The strings may come from a hostile API, and
 * without the key no one can make two of them collide (nor crowd a table's slots); every UTF-16
 * code unit counts, so lone surrogates do not all read as U+FFFD as in UTF-8. Not for digests
 * that are stored: another process gives other ones.
 */
export function digestOfKey(text: string): Uint32Array {
  let wide = false;
  for (let index = 0; index < text.length; index += 1) {
    if (text.charCodeAt(index) > 0xff) {
      wide = true;
      break;
    }
  }
  return sipHash128(text, wide, wide ? wideKey : narrowKey, scratch);
}

function hashString(text: string): number {
  let hash = 2166136261;
  for (let index = 0; index < text.length; index += 1)
    hash = Math.imul(hash ^ text.charCodeAt(index), 16777619);
  return hash >>> 0;
}
