/** Records of a page walked to estimate its size; the others are taken to be like them. */
const sampledRecords = 4;

/** A page estimated below this from its first record is taken at that estimate. */
const smallPageBytes = 64 * 1024;

/** Values walked in one record at most: a huge record is not walked whole for an estimate. */
const valuesPerRecord = 4096;

/** Nesting walked at most (a cycle ends there too). */
const maxDepth = 32;

/**
 * A page's size in memory, roughly, without serialising or copying it: up to 4 of its records,
 * evenly spaced, are walked (a string counts its length and a header, binary data its bytes,
 * any other value a word, an object or array a header and a word a field), and their mean
 * stands for every record. Cheap enough for every page: one walk when the first record says the
 * page is small, else 4 of at most 4096 values each; close enough to bound how many large pages
 * wait for the consumer.
 *
 * @example estimatePageBytes([{ id: 1, name: 'x'.repeat(1000) }]) // 1064
 */
export function estimatePageBytes(data: readonly unknown[]): number {
  const count = data.length;
  if (count === 0) return 0;
  let sampled = Math.min(count, sampledRecords);
  let bytes = sizeOf(data[0], 0, { values: valuesPerRecord });
  // A page small by its first record is not walked further: small pages cost one walk.
  if (bytes * count < smallPageBytes) sampled = 1;
  for (let sample = 1; sample < sampled; sample += 1) {
    bytes += sizeOf(data[Math.floor((sample * count) / sampled)], 0, { values: valuesPerRecord });
  }
  return Math.round((bytes / sampled) * count) + 8 * count;
}

function sizeOf(value: unknown, depth: number, budget: { values: number }): number {
  budget.values -= 1;
  if (typeof value === 'string') return 16 + value.length;
  if (typeof value !== 'object' || value === null) return 8;
  // Its bytes, not a walk of every index (a 1 MB Buffer has a million keys).
  if (ArrayBuffer.isView(value)) return 16 + value.byteLength;
  if (value instanceof ArrayBuffer) return 16 + value.byteLength;
  if (budget.values <= 0 || depth >= maxDepth) return 16;
  let bytes = 16;
  if (Array.isArray(value)) {
    for (const item of value as readonly unknown[]) {
      bytes += 8 + sizeOf(item, depth + 1, budget);
      if (budget.values <= 0) break;
    }
    return bytes;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    bytes += 8 + sizeOf(record[key], depth + 1, budget);
    if (budget.values <= 0) break;
  }
  return bytes;
}
