/**
 * The sending side of the sliding-window code as the sender runs it: there are no blocks, every
 * packet goes out at once as a numbered source datagram, and a repair over the last `window`
 * packets (built by SlidingEncoder, ./sliding/) goes out every k/m packets (the credit below)
 * and at the latest `repairDelayMs` after the oldest packet no repair covers yet, so a lone
 * loss is rebuilt by the next repair and a burst by the ones after it (docs/wanopt.md).
 * Kept apart from OptimizerSender so that the sender holds only what both codes share
 * (sender-code.ts); SlidingEncoder builds repairs, this class decides when.
 */
import { allocDatagram, frameDatagram, randomSession } from './packet-framing'
import type { SenderCode, SenderCodeHost } from './sender-code'
import { SlidingEncoder, type SlidingEncoderConfig } from './sliding/encoder'

export class SlidingStreamEncoder implements SenderCode {
  /** Longest time from a packet to the first repair covering it, ms. */
  readonly repairDelayMs: number
  readonly #host: SenderCodeHost
  readonly #encoder: SlidingEncoder
  #session: number
  // The next source number, the repair credit (+m per packet, a repair at k), and the packets
  // sent since the last repair (the oldest of them sets the time bound).
  #esi = 0
  #credit = 0
  #unprotected = 0
  #firstUnprotectedAt = 0

  constructor(
    host: SenderCodeHost,
    session: number,
    repairDelayMs: number,
    window: SlidingEncoderConfig,
  ) {
    this.#host = host
    this.#session = session
    this.repairDelayMs = repairDelayMs
    this.#encoder = new SlidingEncoder(window)
  }

  get session(): number {
    return this.#session
  }

  get pending(): boolean {
    return this.#unprotected > 0
  }

  get dueAt(): number {
    return this.#firstUnprotectedAt + this.repairDelayMs
  }

  /**
   * The source datagram goes out at once; with FEC on and redundancy m > 0 the packet is kept
   * for repairs and earns m / k of one, so a repair follows every k / m packets (at most one per
   * packet: a repair is named by its window's last packet).
   */
  push(stored: Uint8Array, compressed: boolean): void {
    const host = this.#host
    if (this.#esi > 0xffffffff) {
      // Source numbers are u32 and never wrap within a session: a new session instead.
      if (this.#unprotected > 0) this.#sendRepair(false)
      this.#session = randomSession()
      this.#esi = 0
      this.#encoder.clear()
    }
    const now = host.clock.now()
    const esi = this.#esi++
    const datagram = frameDatagram(
      { type: 'source', compressed, session: this.#session, block: esi, k: 0, m: 0, index: 0 },
      stored,
    )
    const m = host.redundancy
    const protect = m > 0
    if (protect) this.#encoder.add(esi, stored, compressed, now)
    host.stats.dataDatagrams++
    host.stats.wireBytes += datagram.length
    try {
      host.send(datagram)
    } finally {
      if (protect) {
        if (this.#unprotected === 0) this.#firstUnprotectedAt = now
        this.#unprotected++
        this.#credit += m
        if (this.#credit >= host.k) {
          this.#credit = Math.min(this.#credit - host.k, host.k - 1)
          this.#sendRepair(false)
        } else {
          host.armTimer()
        }
      }
    }
  }

  /** Sends a repair if the oldest packet no repair covers yet has waited its time bound. */
  tick(): void {
    if (
      this.#unprotected > 0 &&
      this.#host.clock.now() - this.#firstUnprotectedAt >= this.repairDelayMs
    ) {
      this.#credit = 0
      this.#sendRepair(true)
    }
  }

  /** A repair now over the packets no repair covers yet. */
  flush(): void {
    if (this.#unprotected > 0) this.#sendRepair(false)
  }

  /** Nothing waits: a packet sent without protection is never covered later. */
  redundancyOn(): void {}

  /** A repair over the window ending at the last packet sent; nothing is unprotected after. */
  #sendRepair(atDeadline: boolean): void {
    this.#unprotected = 0
    if (this.#esi === 0) return
    const repair = this.#encoder.repair(
      this.#session,
      this.#esi - 1,
      this.#host.clock.now(),
      allocDatagram,
    )
    if (!repair) return
    const stats = this.#host.stats
    stats.blocks++
    stats.parityDatagrams++
    stats.wireBytes += repair.length
    if (atDeadline) stats.deadlineFlushes++
    this.#host.send(repair)
  }
}
