/**
 * The receiving half of the WAN optimizer: optimizer datagrams in, IP packets out. Each
 * datagram is parsed (protocol/optimizer.ts) and handed to its session's decoder: the block
 * code's (block-decoder.ts) for data and parity, the sliding-window code's (./sliding/) for
 * source and repair packets; a sender may use either code. Packets are delivered the moment
 * they arrive (decompressed if flagged) or are rebuilt. Every datagram that is malformed,
 * truncated, a duplicate (a replay inside the window), out of the window (a replay or a
 * straggler older than it, or a far jump ahead not yet confirmed: resync.ts) or inconsistent with its block is dropped and counted by reason;
 * nothing in a datagram can make this throw. Memory is bounded: at most `maxSessions` sessions
 * (receiver-sessions.ts), each with a bounded state per code.
 * This class keeps what both codes share: the stats, the delivery and the session table.
 */
import {
  OPTIMIZER_MAX_STORED,
  OPTIMIZER_TUN_MTU,
  type OptimizerDropReason,
  type OptimizerPacket,
  parseOptimizerPacket,
} from '../../../protocol/optimizer'
import { decompressBlock } from '../../../wasm/lz4'
import type { Clock } from '../../clock'
import { BlockDecoder, type BlockDecoderConfig, type BlockDecoderHost } from './block-decoder'
import {
  DEFAULT_MAX_OPEN_BLOCKS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_RECEIVER_HOLD_MS,
  DEFAULT_WINDOW_BLOCKS,
} from './defaults'
import type { OptimizerMetrics } from './metrics'
import { closeSession, type ReceiverSession, SessionTable } from './receiver-sessions'
import { SlidingDecoder } from './sliding/decoder'
import { emptyReceiverStats, type ReceiverStats } from './stats'

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

export class OptimizerReceiver {
  readonly stats: ReceiverStats = emptyReceiverStats()
  readonly deadlineMs: number
  readonly maxPacket: number
  readonly pathLabel: string
  readonly #clock: Clock
  readonly #deliver: (ipPacket: Uint8Array) => void
  readonly #metrics: OptimizerMetrics | undefined
  readonly #sessions: SessionTable
  #closed = false
  readonly #slidingHoldMs: number | undefined
  readonly #slidingHorizon: number | undefined
  /** Both codes' decoders report here: one set of stats, one delivery. */
  readonly #decoderHost: BlockDecoderHost = {
    deliver: (payload, compressed) => this.#deliverPayload(payload, compressed),
    drop: (reason) => this.#drop(reason),
    accepted: () => {
      this.stats.accepted++
    },
    recovered: (wait) => this.#recovered(wait),
    lost: (packets) => {
      this.stats.unrecoveredPackets += packets
    },
    lostBlock: (packets) => {
      this.stats.unrecoverableBlocks++
      this.stats.unrecoveredPackets += packets
    },
    unusedRepair: () => {
      this.stats.unusedParity++
    },
    resynced: () => {
      this.stats.resyncs++
    },
  }

  constructor(config: OptimizerReceiverConfig) {
    this.deadlineMs = config.deadlineMs ?? DEFAULT_RECEIVER_HOLD_MS
    this.maxPacket = Math.min(config.maxPacket ?? OPTIMIZER_TUN_MTU, OPTIMIZER_MAX_STORED)
    this.pathLabel = config.pathLabel ?? 'default'
    this.#clock = config.clock
    this.#deliver = config.deliver
    const blocks: BlockDecoderConfig = {
      holdMs: this.deadlineMs,
      windowBlocks: config.windowBlocks ?? DEFAULT_WINDOW_BLOCKS,
      maxOpenBlocks: config.maxOpenBlocks ?? DEFAULT_MAX_OPEN_BLOCKS,
    }
    this.#sessions = new SessionTable(
      config.maxSessions ?? DEFAULT_MAX_SESSIONS,
      () => new BlockDecoder(this.#decoderHost, blocks),
    )
    this.#metrics = config.metrics
    this.#slidingHoldMs = config.slidingHoldMs
    this.#slidingHorizon = config.slidingHorizon
    this.#metrics?.attachReceiver(this)
  }

  /** Blocks waiting for data or parity, over all sessions (bounded; for tests and metrics). */
  get openBlocks(): number {
    let n = 0
    for (const s of this.#sessions.values()) n += s.blocks.openBlocks
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
    const session = this.#sessions.get(p.session, from)
    const now = this.#clock.now()
    this.#expire(session, now)
    if (p.type === 'source' || p.type === 'repair') this.#onSliding(session, p, now)
    else session.blocks.push(p, now)
  }

  /** Gives up every open block past its hold time (push does it too, for its own session). */
  tick(): void {
    const now = this.#clock.now()
    for (const s of this.#sessions.values()) this.#expire(s, now)
  }

  /** Gives up every open block (counted) and stops; idempotent. */
  close(): void {
    if (this.#closed) return
    for (const s of this.#sessions.values()) closeSession(s)
    this.#closed = true
    this.#metrics?.detachReceiver(this)
  }

  #onSliding(s: ReceiverSession, p: OptimizerPacket, now: number): void {
    if (!s.sliding) {
      s.sliding = new SlidingDecoder(s.id, this.#decoderHost, {
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

  #expire(s: ReceiverSession, now: number): void {
    s.sliding?.expire(now)
    s.blocks.expire(now)
  }
}
