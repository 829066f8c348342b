// The longest pauses of a DigestSet (the completeness ledger's key set) filled with keyed digests:
// each of its last doublings, the longest add while its flat array moves into a DigestTable (from
// its 91,751st digest on, a few slots an add), and the longest add after, up to BENCH_KEYS
// (2,000,000) digests, in ms; and its bytes a digest in the flat phase. Median of BENCH_REPEATS
// sets (7): `node --expose-gc bench/digest-set-move.mjs`. Reads core's build (`pnpm build`
// first): the set is not part of the public API.
import { performance } from 'node:perf_hooks';
import { digestOfKey } from '../packages/core/dist/digest/digest-of.js';
import { DigestSet } from '../packages/core/dist/digest/digest-set.js';
import { DigestTable } from '../packages/core/dist/digest/digest-table.js';
import { median } from './support/stats.mjs';

const repeats = Number(process.env.BENCH_REPEATS ?? 7);
const keys = Number(process.env.BENCH_KEYS ?? 2_000_000);
const flatSlots = 1 << 17;
const loadLimit = (slots) => Math.floor(slots * 0.7);
/** The count whose add begins the move (0.7 of the flat slots, plus one). */
const moveAt = loadLimit(flatSlots) + 1;
/** The adds that double the flat array, from 4,096 slots on: the count past 0.7 of each size. */
const doublingAt = new Map();
for (let slots = 4096; slots < flatSlots; slots *= 2) doublingAt.set(loadLimit(slots) + 1, slots * 2);

const digests = new Uint32Array(keys * 4);
for (let n = 0; n < keys; n += 1) digests.set(digestOfKey(`key ${n}`), n * 4);

const doublings = new Map([...doublingAt.values()].map((slots) => [slots, []]));
const moving = [];
const afterMove = [];
// Slots moved an add: 8, so the move is over after flatSlots / 8 adds.
const moveEnd = moveAt + flatSlots / 8;
for (let repeat = 0; repeat < repeats; repeat += 1) {
  globalThis.gc?.();
  const set = new DigestSet();
  let longestMoving = 0;
  let longestAfter = 0;
  for (let n = 0; n < keys; n += 1) {
    const start = performance.now();
    set.add(digests, n * 4);
    const spent = performance.now() - start;
    const count = n + 1;
    if (doublingAt.has(count)) doublings.get(doublingAt.get(count)).push(spent);
    else if (count >= moveAt && count <= moveEnd) longestMoving = Math.max(longestMoving, spent);
    else if (count > moveEnd) longestAfter = Math.max(longestAfter, spent);
  }
  moving.push(longestMoving);
  afterMove.push(longestAfter);
}

// The same digests into a DigestTable alone (as the ledger kept them before): its longest add,
// for scale, since a scavenge or a page fault lands in some add of either.
const tableLongest = [];
for (let repeat = 0; repeat < repeats; repeat += 1) {
  globalThis.gc?.();
  const table = new DigestTable();
  let longest = 0;
  for (let n = 0; n < keys; n += 1) {
    const start = performance.now();
    table.add(digests.subarray(n * 4, n * 4 + 4));
    longest = Math.max(longest, performance.now() - start);
  }
  tableLongest.push(longest);
}

const format = (values) =>
  `${median(values).toFixed(2)} ms [${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]`;
console.log(`DigestSet, ${keys} keyed digests, median of ${repeats} sets:`);
for (const [slots, times] of doublings) {
  console.log(
    `  the doubling to ${slots} slots (${loadLimit(slots / 2)} digests re-placed): ${format(times)}`,
  );
}
console.log(
  `  longest add while the flat array moves into a DigestTable (adds ${moveAt}–${moveEnd}): ${format(moving)}`,
);
console.log(`  longest add after the move: ${format(afterMove)}`);
console.log(`  (a DigestTable alone, longest add: ${format(tableLongest)})`);
// 16 bytes a slot; just before a doubling 0.7 full, just after 0.35.
console.log(
  `  flat phase: 16 bytes a slot, ${(16 / 0.7).toFixed(0)}–${(16 / 0.35).toFixed(0)} bytes a digest, ` +
    `${(flatSlots * 16) / 2 ** 20} MB at the most`,
);
