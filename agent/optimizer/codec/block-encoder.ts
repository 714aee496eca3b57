/**
 * The sending side of the block code: packets are grouped into Reed-Solomon blocks of k data
 * packets, and a block's parity packets go out when it has k packets or when its deadline
 * passes, whichever is first, so parity never delays data and a lost packet can be rebuilt
 * within the deadline. A block keeps the parity count it was planned with (0 = none: then
 * nothing is kept). Kept apart from OptimizerSender so that the sender holds only what both
 * codes share (sender-code.ts).
 */
import {
  OPTIMIZER_HEADER_LENGTH,
  OPTIMIZER_MAX_M,
  OPTIMIZER_SHARD_PREFIX,
  shardPrefix,
  writeOptimizerHeader,
} from '../../../protocol/optimizer'
import { reedSolomon } from './codecs'
import { allocDatagram, frameDatagram, randomSession } from './packet-framing'
import type { SenderCode, SenderCodeHost } from './sender-code'

export class BlockEncoder implements SenderCode {
  /** Longest time from a block's first packet to its parity, ms. */
  readonly deadlineMs: number
  readonly #host: SenderCodeHost
  #session: number
  #block = 0
  // The open block: how many data packets it has, the parity it was planned with (0 = none,
  // then nothing is kept), and the stored payloads (views into the sent datagrams).
  #count = 0
  #plannedM = 0
  #startedAt = 0
  #longest = 0
  readonly #payloads: Uint8Array[] = []
  readonly #compressed: boolean[] = []

  constructor(host: SenderCodeHost, session: number, deadlineMs: number) {
    this.#host = host
    this.#session = session
    this.deadlineMs = deadlineMs
  }

  get session(): number {
    return this.#session
  }

  get pending(): boolean {
    return this.#count > 0 && this.#plannedM > 0
  }

  get dueAt(): number {
    return this.#startedAt + this.deadlineMs
  }

  push(stored: Uint8Array, compressed: boolean): void {
    if (this.#count === 0) this.#startBlock()
    const datagram = frameDatagram(
      {
        type: 'data',
        compressed,
        session: this.#session,
        block: this.#block,
        k: this.#host.k,
        m: this.#plannedM,
        index: this.#count,
      },
      stored,
    )
    if (this.#plannedM > 0) {
      this.#payloads.push(datagram.subarray(OPTIMIZER_HEADER_LENGTH))
      this.#compressed.push(compressed)
      if (stored.length > this.#longest) this.#longest = stored.length
    }
    this.#count++
    const stats = this.#host.stats
    stats.dataDatagrams++
    stats.wireBytes += datagram.length
    try {
      this.#host.send(datagram)
    } finally {
      // Even if `send` throws, a full block must close, or its next index would be k.
      if (this.#count === this.#host.k) this.#finishBlock(false)
    }
  }

  /** Sends the open block's parity if its deadline has passed. */
  tick(): void {
    if (this.#count === 0 || this.#plannedM === 0) return
    if (this.#host.clock.now() - this.#startedAt >= this.deadlineMs) this.#finishBlock(true)
  }

  /** Closes the open block: its parity goes out now. */
  flush(): void {
    if (this.#count > 0) this.#finishBlock(false)
  }

  /**
   * An open block planned without parity is closed at once when parity is turned on: without a
   * deadline it could otherwise stay open for k packets, a long time on a slow stream.
   */
  redundancyOn(): void {
    if (this.#count > 0 && this.#plannedM === 0) this.#finishBlock(false)
  }

  #startBlock(): void {
    this.#plannedM = this.#host.redundancy
    if (this.#plannedM === 0) return
    this.#startedAt = this.#host.clock.now()
    this.#longest = 0
    this.#host.armTimer()
  }

  /** Closes the open block: its state is reset before any parity is handed to `send`. */
  #finishBlock(atDeadline: boolean): void {
    const n = this.#count
    const parity = this.#plannedM > 0 && n > 0 ? this.#parity(n) : []
    this.#payloads.length = 0
    this.#compressed.length = 0
    const stats = this.#host.stats
    stats.blocks++
    this.#count = 0
    this.#plannedM = 0
    if (this.#block === 0xffffffff) {
      // Block numbers are u32 and compared without wrap-around: a new session instead.
      this.#session = randomSession()
      this.#block = 0
    } else {
      this.#block++
    }
    if (atDeadline && parity.length > 0) stats.deadlineFlushes++
    for (const datagram of parity) {
      stats.parityDatagrams++
      stats.wireBytes += datagram.length
      this.#host.send(datagram)
    }
  }

  /**
   * The open block's parity datagrams. A block closed early keeps the planned overhead ratio
   * (m * n / k, rounded, at least one: a lone packet of sparse real-time traffic still gets a
   * parity packet, i.e. a copy).
   */
  #parity(n: number): Uint8Array[] {
    const k = this.#host.k
    const m = Math.min(OPTIMIZER_MAX_M, Math.max(1, Math.round((this.#plannedM * n) / k)))
    const shardLength = OPTIMIZER_SHARD_PREFIX + this.#longest
    const data = new Uint8Array(n * shardLength)
    const shards: Uint8Array[] = []
    for (let i = 0; i < n; i++) {
      const payload = this.#payloads[i]!
      const at = i * shardLength
      const prefix = shardPrefix(payload.length, this.#compressed[i]!)
      data[at] = prefix >> 8
      data[at + 1] = prefix & 0xff
      data.set(payload, at + OPTIMIZER_SHARD_PREFIX)
      shards.push(data.subarray(at, at + shardLength))
    }
    const datagrams: Uint8Array[] = []
    for (let j = 0; j < m; j++) {
      const datagram = allocDatagram(OPTIMIZER_HEADER_LENGTH + shardLength)
      writeOptimizerHeader(datagram, {
        type: 'parity',
        compressed: false,
        session: this.#session,
        block: this.#block,
        k: n,
        m,
        index: n + j,
      })
      datagrams.push(datagram)
      // Parity is computed straight into the datagrams (encode overwrites the last m shards).
      shards.push(datagram.subarray(OPTIMIZER_HEADER_LENGTH))
    }
    reedSolomon(n, m).encode(shards)
    return datagrams
  }
}
