/**
 * Encodes text as UTF-8 into shared slabs, as Node's Buffer pool does for strings under 4 kB but
 * for a page's COPY lines too (~12 kB for 50 records): one allocation per slab, not one per page,
 * which with small pages is what the garbage collector spends its time on. A slab is written
 * once, never reused: what it handed out stays valid as long as it is held (a batch retried
 * sends the same bytes again), and the slab is freed once nothing of it is.
 *
 * A piece is written in parts (`begin`, `write`…, `end`), so that a page's lines need not be
 * joined into one string first: each part goes straight into the slab.
 *
 * @example
 * const slab = new TextSlab();
 * slab.begin();
 * slab.write('a\t');
 * slab.write('{"id":"a"}\n');
 * const data = slab.end(); // a view into the current slab
 */
export class TextSlab {
  readonly #size: number;
  #slab: Buffer;
  /** Where the piece being written starts. */
  #start = 0;
  #used = 0;
  /** The largest piece so far: a new slab holds several such, so that large pages rarely move. */
  #largest = 0;

  /**
   * @param size - Bytes per slab at least; a slab holds four of the largest pieces so far, and a
   * piece that outgrows its slab moves, whole, to a new one.
   */
  constructor(size = 256 * 1024) {
    this.#size = size;
    this.#slab = Buffer.allocUnsafeSlow(size);
  }

  /** Starts a piece, dropping what a piece begun and not ended wrote. */
  begin(): void {
    this.#used = this.#start;
  }

  /** Appends `text`'s UTF-8 bytes to the piece. */
  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit (a pair's 4 bytes are 2 per unit).
    const most = text.length * 3;
    if (this.#slab.length - this.#used < most) this.#grow(most);
    if (text.length < 24) {
      // A short text (a key, a tab): byte by byte costs less than a call into the runtime.
      const slab = this.#slab;
      let at = this.#used;
      for (let index = 0; index < text.length; index += 1) {
        const code = text.charCodeAt(index);
        if (code >= 0x80) {
          this.#used = at + slab.write(text.slice(index), at, 'utf8');
          return;
        }
        slab[at++] = code;
      }
      this.#used = at;
      return;
    }
    this.#used += this.#slab.write(text, this.#used, 'utf8');
  }

  /** Appends `bytes` to the piece. */
  writeBytes(bytes: Uint8Array): void {
    if (this.#slab.length - this.#used < bytes.length) this.#grow(bytes.length);
    this.#slab.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /** The piece written since `begin`. */
  end(): Buffer {
    const piece = this.#slab.subarray(this.#start, this.#used);
    this.#start = this.#used;
    if (piece.length > this.#largest) this.#largest = piece.length;
    return piece;
  }

  /** The UTF-8 bytes of `text`, as a piece of its own. */
  encode(text: string): Buffer {
    this.begin();
    this.write(text);
    return this.end();
  }

  /** Moves the piece to a slab with room for `most` more bytes. */
  #grow(most: number): void {
    const written = this.#used - this.#start;
    const next = Buffer.allocUnsafeSlow(Math.max(this.#size, 4 * this.#largest, 2 * (written + most)));
    this.#slab.copy(next, 0, this.#start, this.#used);
    this.#slab = next;
    this.#start = 0;
    this.#used = written;
  }
}
