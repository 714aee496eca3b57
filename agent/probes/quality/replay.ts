/**
 * Anti-replay for probe requests: a sliding window of the last 64 sequence numbers per sender
 * session, as IPsec does (RFC 4303 sec. 3.4.3). A sequence is accepted once; one more than 63
 * behind the highest seen is refused as too old. Sessions are kept in LRU order up to a cap, so
 * a flood of forged sessions (which needs the key anyway) cannot grow memory without bound.
 */
const WINDOW = 64n
const MASK = (1n << WINDOW) - 1n

export class ReplayWindow {
  #top = -1
  #bits = 0n

  /** True (and remembered) the first time `sequence` is seen inside the window. */
  accept(sequence: number): boolean {
    if (this.#top < 0) {
      this.#top = sequence
      this.#bits = 1n
      return true
    }
    if (sequence > this.#top) {
      const shift = BigInt(sequence - this.#top)
      this.#bits = shift >= WINDOW ? 1n : ((this.#bits << shift) | 1n) & MASK
      this.#top = sequence
      return true
    }
    const diff = BigInt(this.#top - sequence)
    if (diff >= WINDOW) return false
    const bit = 1n << diff
    if (this.#bits & bit) return false
    this.#bits |= bit
    return true
  }
}

export class ReplayGuard {
  readonly #windows = new Map<string, ReplayWindow>()
  readonly #max: number

  constructor(maxSessions = 4096) {
    this.#max = maxSessions
  }

  get size(): number {
    return this.#windows.size
  }

  accept(session: string, sequence: number): boolean {
    let w = this.#windows.get(session)
    if (w) this.#windows.delete(session)
    else w = new ReplayWindow()
    this.#windows.set(session, w)
    if (this.#windows.size > this.#max) {
      const oldest = this.#windows.keys().next().value
      if (oldest !== undefined) this.#windows.delete(oldest)
    }
    return w.accept(sequence)
  }
}
