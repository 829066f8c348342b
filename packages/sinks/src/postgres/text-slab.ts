/**
 * Encodes text as UTF-8 into shared slabs, as Node's Buffer pool does for strings under 4 kB but
 * for a page's COPY lines too (~12 kB for 50 records): one allocation per slab, not one per page,
 * which with small pages is what the garbage collector spends its time on. A slab is written
 * once, never reused: what it handed out stays valid as long as it is held (a batch retried
 * sends the same bytes again), and the slab is freed once nothing of it is.
 *
 * @example
 * const slab = new TextSlab();
 * const data = slab.encode('a\t{"id":"a"}\n'); // a view into the current slab
 */
export class TextSlab {
  readonly #size: number;
  #slab: Buffer | undefined;
  #used = 0;

  /** @param size - Bytes per slab; text that could take more than a quarter of one gets a buffer of its own. */
  constructor(size = 256 * 1024) {
    this.#size = size;
  }

  /** The UTF-8 bytes of `text`, in a buffer of their own or a view into a slab. */
  encode(text: string): Buffer {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit (a pair's 4 bytes are 2 per unit).
    const most = text.length * 3;
    if (most > this.#size / 4) return Buffer.from(text, 'utf8');
    let slab = this.#slab;
    if (slab === undefined || slab.length - this.#used < most) {
      slab = Buffer.allocUnsafeSlow(this.#size);
      this.#slab = slab;
      this.#used = 0;
    }
    const start = this.#used;
    this.#used += slab.write(text, start, 'utf8');
    return slab.subarray(start, this.#used);
  }
}
