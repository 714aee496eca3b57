/**
 * The receiving side of the block code for one sender session: a data packet is delivered the
 * moment it arrives; with parity planned, it is also kept in its open block until the block is
 * whole or its parity has rebuilt what was lost, or until the hold time passes (the block is
 * then given up and counted). Duplicates and stragglers outside the window (BlockWindow) and
 * datagrams inconsistent with their block are dropped and reported to the host. Memory: the
 * window ring and at most `maxOpenBlocks` open blocks. Kept apart from OptimizerReceiver, which
 * parses, keeps the sessions and delivers, as the sliding code's SlidingDecoder is.
 */
import { OPTIMIZER_SHARD_PREFIX, type OptimizerPacket } from '../../../protocol/optimizer'
import { reedSolomon } from './codecs'
import { JumpGuard } from './resync'
import type { SlidingDecoderHost } from './sliding/decoder'
import { BlockWindow } from './window'

/** What the decoder reports to its owner: the sliding decoder's reports, plus lost blocks. */
export interface BlockDecoderHost extends SlidingDecoderHost {
  /** A block given up with `packets` data packets that never came nor were rebuilt. */
  lostBlock(packets: number): void
}

export interface BlockDecoderConfig {
  /** How long an incomplete block waits for parity after its first datagram, ms. */
  holdMs: number
  windowBlocks: number
  maxOpenBlocks: number
}

/** A block still able to use parity. Data and parity are views into their datagrams. */
interface OpenBlock {
  block: number
  firstAt: number
  /** Final data/parity counts and shard length, known from the first parity; -1 before. */
  n: number
  m: number
  shardLength: number
  data: (Uint8Array | undefined)[]
  compressed: boolean[]
  arrivedAt: number[]
  dataCount: number
  /** Highest data index seen + 1 (gaps below it are known losses). */
  dataSpan: number
  /** Planned k of the data packets: all of them here means the block is whole. */
  plannedK: number
  parity: (Uint8Array | undefined)[]
  parityCount: number
}

export class BlockDecoder {
  readonly #host: BlockDecoderHost
  readonly #config: BlockDecoderConfig
  #window: BlockWindow
  readonly #jumps: JumpGuard
  /** Open blocks in arrival order (a Map keeps insertion order). */
  readonly #open = new Map<number, OpenBlock>()

  constructor(host: BlockDecoderHost, config: BlockDecoderConfig) {
    this.#host = host
    this.#config = config
    this.#window = new BlockWindow(config.windowBlocks)
    // Far jumps in block numbers are held until confirmed (resync.ts). Ahead: a window or more
    // (128 blocks by default, hundreds to thousands of packets) past the newest. A longer gap is
    // an outage, after which a real sender is confirmed within a few datagrams; a forged jump
    // within the bound leaves the real stream's newest and next blocks inside the window, so
    // they are still taken. Behind: anything the window refuses, so that a sender restarted under the
    // same id (blocks from 0 again) is confirmed as fast.
    this.#jumps = new JumpGuard({
      maxAhead: config.windowBlocks - 1,
      maxBehind: config.windowBlocks - 1,
      tolerance: config.windowBlocks,
    })
  }

  /** Blocks waiting for data or parity. */
  get openBlocks(): number {
    return this.#open.size
  }

  /** A data or parity packet of this session. */
  push(p: OptimizerPacket, now: number): void {
    const jump = this.#jumps.check(p.block, this.#window.top)
    if (jump === 'held') {
      // One far datagram must not move the window: the real stream would be out of it.
      this.#host.drop('out_of_window')
      return
    }
    if (jump === 'resync') this.#startOver()
    const verdict = this.#window.accept(p.block, p.index)
    if (verdict !== 'new') {
      this.#host.drop(verdict)
      return
    }
    this.#host.accepted()
    this.#giveUpOutOfWindow()
    if (p.type === 'data') this.#onData(p, now)
    else this.#onParity(p, now)
  }

  /** Gives up every open block past its hold time. */
  expire(now: number): void {
    for (const b of this.#open.values()) {
      if (now - b.firstAt < this.#config.holdMs) break
      this.#giveUp(b)
    }
  }

  /** Gives up every open block (counted). */
  close(): void {
    for (const b of this.#open.values()) this.#giveUp(b)
  }

  /** A confirmed far jump: open blocks are given up (counted), the window starts afresh. */
  #startOver(): void {
    this.close()
    this.#window = new BlockWindow(this.#config.windowBlocks)
    this.#host.resynced()
  }

  #onData(p: OptimizerPacket, now: number): void {
    const b = p.m > 0 && !this.#window.isClosed(p.block) ? this.#openBlock(p, now) : undefined
    if (b && b.n >= 0 && p.index >= b.n) {
      this.#host.drop('inconsistent')
      return
    }
    if (b && b.shardLength >= 0 && OPTIMIZER_SHARD_PREFIX + p.payload.length > b.shardLength) {
      this.#host.drop('inconsistent')
      return
    }
    if (!this.#host.deliver(p.payload, p.compressed)) return
    if (!b) return
    b.data[p.index] = p.payload
    b.compressed[p.index] = p.compressed
    b.arrivedAt[p.index] = now
    b.dataCount++
    if (p.index + 1 > b.dataSpan) b.dataSpan = p.index + 1
    this.#tryComplete(b, now)
  }

  #onParity(p: OptimizerPacket, now: number): void {
    if (this.#window.isClosed(p.block)) {
      this.#host.unusedRepair()
      return
    }
    const b = this.#openBlock(p, now)
    if (b.n < 0) {
      // The first parity fixes the block's shape; stored data must fit it.
      for (let i = 0; i < b.data.length; i++) {
        const d = b.data[i]
        if (d && (i >= p.k || OPTIMIZER_SHARD_PREFIX + d.length > p.payload.length)) {
          this.#host.drop('inconsistent')
          return
        }
      }
      b.n = p.k
      b.m = p.m
      b.shardLength = p.payload.length
    } else if (b.n !== p.k || b.m !== p.m || b.shardLength !== p.payload.length) {
      this.#host.drop('inconsistent')
      return
    }
    b.parity[p.index - b.n] = p.payload
    b.parityCount++
    this.#tryComplete(b, now)
  }

  #openBlock(p: OptimizerPacket, now: number): OpenBlock {
    let b = this.#open.get(p.block)
    if (b) return b
    b = {
      block: p.block,
      firstAt: now,
      n: -1,
      m: -1,
      shardLength: -1,
      data: [],
      compressed: [],
      arrivedAt: [],
      dataCount: 0,
      dataSpan: 0,
      plannedK: p.type === 'data' ? p.k : -1,
      parity: [],
      parityCount: 0,
    }
    this.#open.set(p.block, b)
    if (this.#open.size > this.#config.maxOpenBlocks) {
      const oldest = this.#open.values().next().value
      if (oldest) this.#giveUp(oldest)
    }
    return b
  }

  #tryComplete(b: OpenBlock, now: number): void {
    if (b.n < 0) {
      // No parity yet: the block is whole once all its planned data packets are here.
      if (b.plannedK > 0 && b.dataCount === b.plannedK) this.#finish(b)
      return
    }
    if (b.dataCount === b.n) {
      this.#finish(b)
      return
    }
    if (b.dataCount + b.parityCount >= b.n) {
      this.#recover(b, now)
      this.#finish(b)
    }
  }

  /** Rebuilds the missing data shards from any n of the n + m shards and delivers them. */
  #recover(b: OpenBlock, now: number): void {
    const { n, m, shardLength } = b
    // Filled, not sparse: the codec maps over the array, and map skips holes.
    const shards: (Uint8Array | undefined)[] = new Array(n + m).fill(undefined)
    const present: boolean[] = new Array(n + m).fill(false)
    const padded = new Uint8Array(n * shardLength)
    for (let i = 0; i < n; i++) {
      const d = b.data[i]
      present[i] = d !== undefined
      if (!d) continue
      const at = i * shardLength
      const prefix = (b.compressed[i] ? 0x8000 : 0) | d.length
      padded[at] = prefix >> 8
      padded[at + 1] = prefix & 0xff
      padded.set(d, at + OPTIMIZER_SHARD_PREFIX)
      shards[i] = padded.subarray(at, at + shardLength)
    }
    for (let j = 0; j < m; j++) {
      shards[n + j] = b.parity[j]
      present[n + j] = b.parity[j] !== undefined
    }
    const all = reedSolomon(n, m).reconstruct(shards, present)
    let expectedAt = b.firstAt
    for (let i = 0; i < n; i++) {
      if (present[i]) {
        expectedAt = Math.max(expectedAt, b.arrivedAt[i] ?? expectedAt)
        continue
      }
      this.#window.mark(b.block, i)
      const shard = all[i]!
      const prefix = (shard[0]! << 8) | shard[1]!
      const length = prefix & 0x7fff
      if (length === 0 || length > shardLength - OPTIMIZER_SHARD_PREFIX) {
        this.#host.drop('bad_shard')
        continue
      }
      const payload = shard.subarray(OPTIMIZER_SHARD_PREFIX, OPTIMIZER_SHARD_PREFIX + length)
      if (!this.#host.deliver(payload, (prefix & 0x8000) !== 0)) continue
      this.#host.recovered(Math.max(0, now - expectedAt))
    }
  }

  #finish(b: OpenBlock): void {
    this.#window.close(b.block)
    this.#open.delete(b.block)
  }

  /** Counts the data known lost (parity told us the count, or there are gaps) and forgets. */
  #giveUp(b: OpenBlock): void {
    const known = b.n >= 0 ? b.n : b.dataSpan
    const missing = known - b.dataCount
    if (missing > 0) this.#host.lostBlock(missing)
    this.#finish(b)
  }

  /** Open blocks are in arrival order, near enough block order to stop at the first inside. */
  #giveUpOutOfWindow(): void {
    const oldest = this.#window.oldestInWindow
    for (const b of this.#open.values()) {
      if (b.block >= oldest) break
      this.#giveUp(b)
    }
  }
}
