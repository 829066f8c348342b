import * as crypto from 'node:crypto';

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

function hashString(text: string): number {
  let hash = 2166136261;
  for (let index = 0; index < text.length; index += 1)
    hash = Math.imul(hash ^ text.charCodeAt(index), 16777619);
  return hash >>> 0;
}
