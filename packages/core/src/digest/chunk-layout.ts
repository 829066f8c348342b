/**
 * Where entry number N of a chunked table lives: the first 16 chunks hold `2^smallBits` entries
 * each (a short crawl allocates little), every later one 16 times as many (a crawl of ten million
 * keys keeps ~170 chunks, not ~2,500: each chunk is a typed array with an object on the JS heap,
 * so small chunks alone made the heap grow by ~0.7 MB over nine million keys).
 */
export class ChunkLayout {
  readonly #smallBits: number;
  readonly #smallMask: number;
  readonly #bigBits: number;
  readonly #bigMask: number;
  /** The number of the first entry in a big chunk. */
  readonly #smallLimit: number;

  constructor(smallBits: number) {
    this.#smallBits = smallBits;
    this.#smallMask = (1 << smallBits) - 1;
    this.#bigBits = smallBits + bigShift;
    this.#bigMask = (1 << this.#bigBits) - 1;
    this.#smallLimit = smallChunks << smallBits;
  }

  /** The chunk entry `number` is in. */
  chunkOf(number: number): number {
    return number < this.#smallLimit
      ? number >>> this.#smallBits
      : smallChunks + ((number - this.#smallLimit) >>> this.#bigBits);
  }

  /** Its place in that chunk. */
  offsetOf(number: number): number {
    return number < this.#smallLimit ? number & this.#smallMask : (number - this.#smallLimit) & this.#bigMask;
  }

  /** The size of the chunk entry `number` opens, or 0 when it is not a chunk's first. */
  opens(number: number): number {
    if (number < this.#smallLimit) return (number & this.#smallMask) === 0 ? 1 << this.#smallBits : 0;
    return ((number - this.#smallLimit) & this.#bigMask) === 0 ? 1 << this.#bigBits : 0;
  }
}

const smallChunks = 16;
/** Big chunks are 2^4 = 16 times the small ones. */
const bigShift = 4;
