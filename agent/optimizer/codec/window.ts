/**
 * Anti-replay and duplicate detection for one sender session, in the manner of IPsec's sliding
 * window (RFC 4303 sec. 3.4.3) but two-level: a ring of the last `size` block numbers, each with
 * a 64-bit mask of the datagram indices seen in it (k + m <= 64 by the wire format) and a
 * "closed" mark once the block needs no more parity. A block more than `size - 1` behind the
 * newest is out of window. Fixed memory: three typed arrays of `size` entries.
 */

export type WindowVerdict = 'new' | 'duplicate' | 'out_of_window'

export class BlockWindow {
  readonly size: number
  /** Newest block number seen, -1 before the first. */
  top = -1
  readonly #block: Float64Array
  readonly #seenLow: Uint32Array
  readonly #seenHigh: Uint32Array
  readonly #closed: Uint8Array

  constructor(size: number) {
    this.size = size
    this.#block = new Float64Array(size).fill(-1)
    this.#seenLow = new Uint32Array(size)
    this.#seenHigh = new Uint32Array(size)
    this.#closed = new Uint8Array(size)
  }

  /** Would `block` be accepted at all (not behind the window)? */
  inWindow(block: number): boolean {
    return this.top < 0 || block > this.top - this.size
  }

  /**
   * Marks (block, index) seen. 'new' the first time; moves the window forward when `block` is
   * the newest so far (callers give up open blocks that fall out, see `oldestInWindow`).
   */
  accept(block: number, index: number): WindowVerdict {
    if (!this.inWindow(block)) return 'out_of_window'
    if (block > this.top) this.top = block
    const slot = block % this.size
    if (this.#block[slot] !== block) {
      // The slot held a block now outside the window (or none): reuse it.
      this.#block[slot] = block
      this.#seenLow[slot] = 0
      this.#seenHigh[slot] = 0
      this.#closed[slot] = 0
    }
    const bit = 1 << (index & 31)
    const masks = index < 32 ? this.#seenLow : this.#seenHigh
    if ((masks[slot]! & bit) !== 0) return 'duplicate'
    masks[slot] = masks[slot]! | bit
    return 'new'
  }

  /** Marks an index seen without a verdict (a packet rebuilt from parity). */
  mark(block: number, index: number): void {
    this.accept(block, index)
  }

  close(block: number): void {
    const slot = block % this.size
    if (this.#block[slot] === block) this.#closed[slot] = 1
  }

  isClosed(block: number): boolean {
    const slot = block % this.size
    return this.#block[slot] === block && this.#closed[slot] === 1
  }

  /** Blocks numbered below this are out of window. */
  get oldestInWindow(): number {
    return this.top - this.size + 1
  }
}
