/**
 * The sending half of the WAN optimizer: IP packets in, optimizer datagrams out
 * (protocol/optimizer.ts). Each packet is LZ4-compressed when that makes it smaller and sent at
 * once, never held; with FEC on, its code protects it: the block code (block-encoder.ts) with
 * parity per block of k packets, or the sliding-window code (sliding-stream-encoder.ts, the
 * default) with a repair every k/m packets over the last `window` ones (docs/wanopt.md).
 * This class keeps what both codes share: the options, the compression step, the stats and the
 * one timer that fires at the code's deadline.
 * No sockets and no real time: `send` and the clock are injected.
 */
import { OPTIMIZER_MAX_K, OPTIMIZER_MAX_M, OPTIMIZER_TUN_MTU } from '../../../protocol/optimizer'
import type { Clock } from '../../clock'
import { BlockEncoder } from './block-encoder'
import { DEFAULT_CODE, DEFAULT_DEADLINE_MS, DEFAULT_K, DEFAULT_REPAIR_DELAY_MS } from './defaults'
import type { OptimizerMetrics } from './metrics'
import { compressIfSmaller, randomSession } from './packet-framing'
import type { SenderCode, SenderCodeHost } from './sender-code'
import { SlidingStreamEncoder } from './sliding-stream-encoder'
import { emptySenderStats, type SenderStats } from './stats'

/** Block Reed-Solomon (k data + m parity per block) or the sliding-window random linear code. */
export type OptimizerCode = 'block' | 'sliding'

export interface OptimizerOptions {
  /** Group packets into Reed-Solomon blocks and send parity (when redundancy m > 0). */
  fec: boolean
  /** LZ4-compress each packet that gets smaller by it. */
  compression: boolean
}

export interface OptimizerSenderConfig {
  clock: Clock
  send: (datagram: Uint8Array) => void
  /** Data packets per block, 1..32 (default 25). */
  k?: number
  /** Parity packets per full block to start with (default 0; see setRedundancy). */
  m?: number
  /** Longest time from a block's first packet to its parity, ms (default 4). */
  deadlineMs?: number
  /** Which FEC code (default 'sliding'); the receiver takes both. */
  code?: OptimizerCode
  /** Sliding code: source packets per repair window, 1..64 (default 32). */
  window?: number
  /** Sliding code: no packet older than this goes into a repair, ms (default 60). */
  windowMs?: number
  /** Sliding code: longest time from a packet to the first repair covering it, ms (default 5). */
  repairDelayMs?: number
  fec?: boolean
  compression?: boolean
  /** Largest IP packet accepted (default OPTIMIZER_TUN_MTU); larger ones are refused. */
  maxPacket?: number
  /** The `path` label of this sender's metrics. */
  pathLabel?: string
  metrics?: OptimizerMetrics
  /** Fixed session id (tests); default random, so a restart is a new session to the peer. */
  session?: number
  /**
   * Arm a clock timer for each block's deadline (default true). Off, the owner calls tick();
   * the throughput benchmark turns it off to measure the codec alone.
   */
  autoFlush?: boolean
}

export class OptimizerSender {
  readonly stats: SenderStats = emptySenderStats()
  readonly k: number
  readonly deadlineMs: number
  readonly code: OptimizerCode
  readonly repairDelayMs: number
  readonly maxPacket: number
  readonly pathLabel: string
  readonly #clock: Clock
  readonly #autoFlush: boolean
  readonly #abort = new AbortController()
  readonly #metrics: OptimizerMetrics | undefined
  readonly #code: SenderCode
  #options: OptimizerOptions
  #m: number
  #timerArmed = false
  #closed = false

  constructor(config: OptimizerSenderConfig) {
    this.k = config.k ?? DEFAULT_K
    if (!Number.isInteger(this.k) || this.k < 1 || this.k > OPTIMIZER_MAX_K) {
      throw new RangeError(`optimizer sender: k must be an integer 1..${OPTIMIZER_MAX_K}`)
    }
    this.deadlineMs = config.deadlineMs ?? DEFAULT_DEADLINE_MS
    this.maxPacket = config.maxPacket ?? OPTIMIZER_TUN_MTU
    this.pathLabel = config.pathLabel ?? 'default'
    this.#clock = config.clock
    this.#autoFlush = config.autoFlush ?? true
    this.#options = { fec: config.fec ?? true, compression: config.compression ?? true }
    this.#m = clampM(config.m ?? 0)
    const session = config.session ?? randomSession()
    this.#metrics = config.metrics
    this.code = config.code ?? DEFAULT_CODE
    this.repairDelayMs = config.repairDelayMs ?? DEFAULT_REPAIR_DELAY_MS
    const sender = this
    const host: SenderCodeHost = {
      clock: config.clock,
      stats: this.stats,
      k: this.k,
      get redundancy() {
        return sender.redundancy
      },
      send: config.send,
      armTimer: () => this.#armTimer(),
    }
    this.#code =
      this.code === 'sliding'
        ? new SlidingStreamEncoder(host, session, this.repairDelayMs, {
            window: config.window,
            windowMs: config.windowMs,
            maxStored: this.maxPacket,
          })
        : new BlockEncoder(host, session, this.deadlineMs)
    this.#metrics?.attachSender(this)
  }

  get session(): number {
    return this.#code.session
  }

  get options(): OptimizerOptions {
    return { ...this.#options }
  }

  /** Parity packets per full block in use (0 with FEC off). */
  get redundancy(): number {
    return this.#options.fec ? this.#m : 0
  }

  /** Parity per full block from the next block on (a block keeps the plan it started with). */
  setRedundancy(m: number): void {
    this.#m = clampM(m)
    if (this.redundancy > 0) this.#code.redundancyOn()
  }

  /**
   * Turning FEC on or off first sends the protection owed (the open block's parity, or a
   * repair), so that the next packet starts under the new setting.
   */
  setOptions(options: Partial<OptimizerOptions>): void {
    if (options.fec !== undefined && options.fec !== this.#options.fec) this.#code.flush()
    this.#options = { ...this.#options, ...options }
  }

  push(ip: Uint8Array): void {
    if (this.#closed) return
    if (ip.length === 0 || ip.length > this.maxPacket) {
      this.stats.oversized++
      return
    }
    const stats = this.stats
    stats.packets++
    stats.bytes += ip.length
    let stored = ip
    let compressed = false
    if (this.#options.compression) {
      const c = compressIfSmaller(ip)
      if (c) {
        stored = c
        compressed = true
        stats.compressedPackets++
      }
    }
    stats.storedBytes += stored.length
    this.#code.push(stored, compressed)
  }

  /** Sends the protection whose deadline has passed (the timer calls this too). */
  tick(): void {
    if (this.#closed) return
    this.#code.tick()
  }

  /** Sends the protection owed now and stops; idempotent. */
  close(): void {
    if (this.#closed) return
    this.#code.flush()
    this.#closed = true
    this.#abort.abort()
    this.#metrics?.detachSender(this)
  }

  /** One timer at a time: it fires at the code's deadline (open block, oldest unprotected). */
  #armTimer(): void {
    if (!this.#autoFlush || this.#timerArmed || this.#closed) return
    this.#timerArmed = true
    const wait = Math.max(0, this.#code.dueAt - this.#clock.now())
    void this.#clock.sleep(wait, this.#abort.signal).then(() => {
      this.#timerArmed = false
      if (this.#closed) return
      this.tick()
      if (this.#code.pending) this.#armTimer()
    })
  }
}

function clampM(m: number): number {
  if (!Number.isFinite(m)) return 0
  return Math.min(OPTIMIZER_MAX_M, Math.max(0, Math.round(m)))
}
