/**
 * The receiving half of the WAN optimizer: optimizer datagrams in, IP packets out. A data
 * packet is delivered the moment it arrives (decompressed if flagged); with FEC, it is also
 * kept in its open block until the block is whole or its parity has rebuilt what was lost, or
 * until the hold time passes (the block is then given up and counted). Every datagram that is
 * malformed, truncated, a duplicate (a replay inside the window), out of the window (a replay
 * or a straggler older than it) or inconsistent with its block is dropped and counted by reason; nothing in a datagram can make this throw.
 * Memory is bounded: sessions x (window ring + at most `maxOpenBlocks` open blocks).
 * Sliding-window packets (types 3 and 4) go to a per-session SlidingDecoder (./sliding/), with
 * the same delivery, stats and drop reasons; a sender may use either code.
 */
import {
  OPTIMIZER_MAX_STORED,
  OPTIMIZER_SHARD_PREFIX,
  OPTIMIZER_TUN_MTU,
  type OptimizerDropReason,
  type OptimizerPacket,
  parseOptimizerPacket,
} from '../../protocol/optimizer'
import { decompressBlock } from '../../wasm/lz4'
import type { Clock } from '../clock'
import { reedSolomon } from './codecs'
import {
  DEFAULT_MAX_OPEN_BLOCKS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_RECEIVER_HOLD_MS,
  DEFAULT_WINDOW_BLOCKS,
} from './defaults'
import type { OptimizerMetrics } from './metrics'
import { SlidingDecoder, type SlidingDecoderHost } from './sliding/decoder'
import { emptyReceiverStats, type ReceiverStats } from './stats'
import { BlockWindow } from './window'

export interface OptimizerReceiverConfig {
  clock: Clock
  /** Gets each IP packet; it may be a view into the datagram and must not be modified. */
  deliver: (ipPacket: Uint8Array) => void
  /** How long an incomplete block waits for parity after its first datagram, ms (default 20). */
  deadlineMs?: number
  /** Largest IP packet accepted (the peer's TUN MTU; default OPTIMIZER_TUN_MTU). */
  maxPacket?: number
  windowBlocks?: number
  maxOpenBlocks?: number
  maxSessions?: number
  pathLabel?: string
  metrics?: OptimizerMetrics
  /** Sliding code: how long a lost packet waits to be rebuilt, ms (default 80). */
  slidingHoldMs?: number
  /** Sliding code: source numbers kept behind the newest (default 256). */
  slidingHorizon?: number
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

interface Session {
  key: string
  id: number
  from: string | undefined
  window: BlockWindow
  open: Map<number, OpenBlock>
  /** Made at the session's first sliding-window packet. */
  sliding?: SlidingDecoder
}

export class OptimizerReceiver {
  readonly stats: ReceiverStats = emptyReceiverStats()
  readonly deadlineMs: number
  readonly maxPacket: number
  readonly pathLabel: string
  readonly #clock: Clock
  readonly #deliver: (ipPacket: Uint8Array) => void
  readonly #windowBlocks: number
  readonly #maxOpenBlocks: number
  readonly #maxSessions: number
  readonly #metrics: OptimizerMetrics | undefined
  /** Sessions by source and id, least recently used first (a Map keeps insertion order). */
  readonly #sessions = new Map<string, Session>()
  #lastSession: Session | undefined
  #closed = false
  readonly #slidingHoldMs: number | undefined
  readonly #slidingHorizon: number | undefined
  /** The sliding decoders report here: the same stats and delivery as the block code. */
  readonly #slidingHost: SlidingDecoderHost = {
    deliver: (payload, compressed) => this.#deliverPayload(payload, compressed),
    drop: (reason) => this.#drop(reason),
    accepted: () => {
      this.stats.accepted++
    },
    recovered: (wait) => this.#recovered(wait),
    lost: (packets) => {
      this.stats.unrecoveredPackets += packets
    },
    unusedRepair: () => {
      this.stats.unusedParity++
    },
  }

  constructor(config: OptimizerReceiverConfig) {
    this.deadlineMs = config.deadlineMs ?? DEFAULT_RECEIVER_HOLD_MS
    this.maxPacket = Math.min(config.maxPacket ?? OPTIMIZER_TUN_MTU, OPTIMIZER_MAX_STORED)
    this.pathLabel = config.pathLabel ?? 'default'
    this.#clock = config.clock
    this.#deliver = config.deliver
    this.#windowBlocks = config.windowBlocks ?? DEFAULT_WINDOW_BLOCKS
    this.#maxOpenBlocks = config.maxOpenBlocks ?? DEFAULT_MAX_OPEN_BLOCKS
    this.#maxSessions = config.maxSessions ?? DEFAULT_MAX_SESSIONS
    this.#metrics = config.metrics
    this.#slidingHoldMs = config.slidingHoldMs
    this.#slidingHorizon = config.slidingHorizon
    this.#metrics?.attachReceiver(this)
  }

  /** Blocks waiting for data or parity, over all sessions (bounded; for tests and metrics). */
  get openBlocks(): number {
    let n = 0
    for (const s of this.#sessions.values()) n += s.open.size
    return n
  }

  get sessions(): number {
    return this.#sessions.size
  }

  /** Sliding code: lost packets still hoped for, over all sessions (bounded; tests). */
  get slidingUnknowns(): number {
    let n = 0
    for (const s of this.#sessions.values()) n += s.sliding?.unknowns ?? 0
    return n
  }

  /**
   * One datagram. `from` (e.g. the sender's address and port) keeps the sessions of different
   * sources apart; a restarted sender is a new session either way (its block numbers start
   * again at 0 under a new random id), so it is never taken for replays of the old one. The
   * receiver keeps views into `datagram`; the caller must not reuse its buffer.
   */
  push(datagram: Uint8Array, from?: string): void {
    if (this.#closed) return
    this.stats.datagrams++
    const parsed = parseOptimizerPacket(datagram, this.maxPacket)
    if (!parsed.ok) {
      this.#drop(parsed.reason)
      return
    }
    const p = parsed.packet
    const session = this.#session(p.session, from)
    const now = this.#clock.now()
    this.#expire(session, now)
    if (p.type === 'source' || p.type === 'repair') {
      this.#onSliding(session, p, now)
      return
    }
    const verdict = session.window.accept(p.block, p.index)
    if (verdict !== 'new') {
      this.#drop(verdict)
      return
    }
    this.stats.accepted++
    this.#giveUpOutOfWindow(session)
    if (p.type === 'data') this.#onData(session, p, now)
    else this.#onParity(session, p, now)
  }

  /** Gives up every open block past its hold time (push does it too, for its own session). */
  tick(): void {
    const now = this.#clock.now()
    for (const s of this.#sessions.values()) this.#expire(s, now)
  }

  /** Gives up every open block (counted) and stops; idempotent. */
  close(): void {
    if (this.#closed) return
    for (const s of this.#sessions.values()) {
      for (const b of s.open.values()) this.#giveUp(s, b)
      s.sliding?.close()
    }
    this.#closed = true
    this.#metrics?.detachReceiver(this)
  }

  #onSliding(s: Session, p: OptimizerPacket, now: number): void {
    if (!s.sliding) {
      s.sliding = new SlidingDecoder(s.id, this.#slidingHost, {
        maxStored: this.maxPacket,
        holdMs: this.#slidingHoldMs,
        horizon: this.#slidingHorizon,
      })
    }
    if (p.type === 'source') s.sliding.onSource(p.block, p.payload, p.compressed, now)
    else s.sliding.onRepair(p.block, p.k, p.payload, now)
  }

  #recovered(wait: number): void {
    this.stats.recovered++
    this.stats.recoveryWaitMsSum += wait
    if (wait > this.stats.recoveryWaitMsMax) this.stats.recoveryWaitMsMax = wait
    this.#metrics?.observeRecoveryWait(this.pathLabel, wait)
  }

  #drop(reason: OptimizerDropReason): void {
    this.stats.drops[reason]++
  }

  /**
   * The state of (source, session). A source may run several senders at once (one per class
   * and path), so a new session does not end the others; each is tracked until it is the
   * least recently used beyond `maxSessions`.
   */
  #session(id: number, from: string | undefined): Session {
    const last = this.#lastSession
    // Most datagrams come from the session used last: no key, no LRU reinsertion for those.
    if (last && last.id === id && last.from === from) return last
    const key = from === undefined ? String(id) : `${from}|${id}`
    let s = this.#sessions.get(key)
    if (s) {
      this.#sessions.delete(key)
    } else {
      s = { key, id, from, window: new BlockWindow(this.#windowBlocks), open: new Map() }
      if (this.#sessions.size >= this.#maxSessions) {
        const lru = this.#sessions.values().next().value
        if (lru) this.#forget(lru)
      }
    }
    this.#sessions.set(key, s)
    this.#lastSession = s
    return s
  }

  #forget(s: Session): void {
    for (const b of s.open.values()) this.#giveUp(s, b)
    s.sliding?.close()
    this.#sessions.delete(s.key)
    if (this.#lastSession === s) this.#lastSession = undefined
  }

  #onData(s: Session, p: OptimizerPacket, now: number): void {
    const b = p.m > 0 && !s.window.isClosed(p.block) ? this.#openBlock(s, p, now) : undefined
    if (b && b.n >= 0 && p.index >= b.n) {
      this.#drop('inconsistent')
      return
    }
    if (b && b.shardLength >= 0 && OPTIMIZER_SHARD_PREFIX + p.payload.length > b.shardLength) {
      this.#drop('inconsistent')
      return
    }
    if (!this.#deliverPayload(p.payload, p.compressed)) return
    if (!b) return
    b.data[p.index] = p.payload
    b.compressed[p.index] = p.compressed
    b.arrivedAt[p.index] = now
    b.dataCount++
    if (p.index + 1 > b.dataSpan) b.dataSpan = p.index + 1
    this.#tryComplete(s, b, now)
  }

  #onParity(s: Session, p: OptimizerPacket, now: number): void {
    if (s.window.isClosed(p.block)) {
      this.stats.unusedParity++
      return
    }
    const b = this.#openBlock(s, p, now)
    if (b.n < 0) {
      // The first parity fixes the block's shape; stored data must fit it.
      for (let i = 0; i < b.data.length; i++) {
        const d = b.data[i]
        if (d && (i >= p.k || OPTIMIZER_SHARD_PREFIX + d.length > p.payload.length)) {
          this.#drop('inconsistent')
          return
        }
      }
      b.n = p.k
      b.m = p.m
      b.shardLength = p.payload.length
    } else if (b.n !== p.k || b.m !== p.m || b.shardLength !== p.payload.length) {
      this.#drop('inconsistent')
      return
    }
    b.parity[p.index - b.n] = p.payload
    b.parityCount++
    this.#tryComplete(s, b, now)
  }

  #openBlock(s: Session, p: OptimizerPacket, now: number): OpenBlock {
    let b = s.open.get(p.block)
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
    s.open.set(p.block, b)
    if (s.open.size > this.#maxOpenBlocks) {
      const oldest = s.open.values().next().value
      if (oldest) this.#giveUp(s, oldest)
    }
    return b
  }

  #tryComplete(s: Session, b: OpenBlock, now: number): void {
    if (b.n < 0) {
      // No parity yet: the block is whole once all its planned data packets are here.
      if (b.plannedK > 0 && b.dataCount === b.plannedK) this.#finish(s, b)
      return
    }
    if (b.dataCount === b.n) {
      this.#finish(s, b)
      return
    }
    if (b.dataCount + b.parityCount >= b.n) {
      this.#recover(s, b, now)
      this.#finish(s, b)
    }
  }

  /** Rebuilds the missing data shards from any n of the n + m shards and delivers them. */
  #recover(s: Session, b: OpenBlock, now: number): void {
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
      s.window.mark(b.block, i)
      const shard = all[i]!
      const prefix = (shard[0]! << 8) | shard[1]!
      const length = prefix & 0x7fff
      if (length === 0 || length > shardLength - OPTIMIZER_SHARD_PREFIX) {
        this.#drop('bad_shard')
        continue
      }
      const payload = shard.subarray(OPTIMIZER_SHARD_PREFIX, OPTIMIZER_SHARD_PREFIX + length)
      if (!this.#deliverPayload(payload, (prefix & 0x8000) !== 0)) continue
      this.#recovered(Math.max(0, now - expectedAt))
    }
  }

  #deliverPayload(payload: Uint8Array, compressed: boolean): boolean {
    let ip = payload
    if (compressed) {
      try {
        ip = decompressBlock(payload, this.maxPacket)
      } catch {
        this.#drop('decompress_failed')
        return false
      }
      if (ip.length === 0) {
        this.#drop('decompress_failed')
        return false
      }
    }
    this.stats.delivered++
    this.stats.deliveredBytes += ip.length
    this.#deliver(ip)
    return true
  }

  #finish(s: Session, b: OpenBlock): void {
    s.window.close(b.block)
    s.open.delete(b.block)
  }

  /** Counts the data known lost (parity told us the count, or there are gaps) and forgets. */
  #giveUp(s: Session, b: OpenBlock): void {
    const known = b.n >= 0 ? b.n : b.dataSpan
    const missing = known - b.dataCount
    if (missing > 0) {
      this.stats.unrecoverableBlocks++
      this.stats.unrecoveredPackets += missing
    }
    this.#finish(s, b)
  }

  #expire(s: Session, now: number): void {
    s.sliding?.expire(now)
    for (const b of s.open.values()) {
      if (now - b.firstAt < this.deadlineMs) break
      this.#giveUp(s, b)
    }
  }

  /** Open blocks are in arrival order, near enough block order to stop at the first inside. */
  #giveUpOutOfWindow(s: Session): void {
    const oldest = s.window.oldestInWindow
    for (const b of s.open.values()) {
      if (b.block >= oldest) break
      this.#giveUp(s, b)
    }
  }
}
