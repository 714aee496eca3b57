/**
 * The guard against far jumps in a session's sequence numbers (the sliding code's ESIs, the
 * block code's block numbers). A datagram far from the newest position is more than loss or
 * reordering explain: one bad datagram (a buggy or compromised peer) must not move the window
 * there, or the real stream's packets would all be out of window after it. So such a datagram is
 * held back (the decoder drops it as out_of_window) and only remembered as a candidate; the
 * decoder resyncs to the new position once `confirmations` far datagrams in a row agree with each
 * other (each within `tolerance` of the one before), as SRTP and TCP resync on consistent
 * evidence. That is a real sender back from a long outage, or restarted under the same session id
 * (its numbers again near 0): it is confirmed within `confirmations` datagrams, and the ones held
 * before are lost. Any datagram near the current position breaks the run, so a stream with
 * forged datagrams among its own never resyncs to them. The decoders call "far behind" anything
 * their window refuses anyway; the price is that a run of `confirmations` stragglers behind the
 * window with nothing current between them (a much slower path at a high packet rate) resyncs
 * back, and the current stream is confirmed again a few datagrams later.
 */

/** 'near': the decoder's usual window rules apply; 'held': drop it; 'resync': start over here. */
export type JumpVerdict = 'near' | 'held' | 'resync'

/** Far datagrams in a row, each consistent with the last, before the decoder resyncs. */
export const RESYNC_CONFIRMATIONS = 3

export interface JumpBounds {
  /** Largest step ahead of the newest position that loss may explain. */
  maxAhead: number
  /** Largest distance behind it that reordering may explain (older is out of window anyway). */
  maxBehind: number
  /** How far a confirming datagram may be from the candidate before it (the window's span). */
  tolerance: number
  confirmations?: number
}

export class JumpGuard {
  readonly maxAhead: number
  readonly maxBehind: number
  readonly tolerance: number
  readonly confirmations: number
  #candidate = 0
  #count = 0

  constructor(bounds: JumpBounds) {
    this.maxAhead = bounds.maxAhead
    this.maxBehind = bounds.maxBehind
    this.tolerance = bounds.tolerance
    this.confirmations = bounds.confirmations ?? RESYNC_CONFIRMATIONS
  }

  /** `top`: the newest position accepted, -1 before the first (which anything may set). */
  check(position: number, top: number): JumpVerdict {
    if (top < 0 || (position - top <= this.maxAhead && top - position <= this.maxBehind)) {
      this.#count = 0
      return 'near'
    }
    if (this.#count > 0 && Math.abs(position - this.#candidate) <= this.tolerance) this.#count++
    else this.#count = 1
    this.#candidate = position
    if (this.#count < this.confirmations) return 'held'
    this.#count = 0
    return 'resync'
  }
}
