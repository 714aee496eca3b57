/**
 * The sending half of the WAN optimizer: IP packets in, optimizer datagrams out
 * (protocol/optimizer.ts). Each packet is LZ4-compressed when that makes it smaller and sent at
 * once, never held; with FEC on, the packets are also grouped into blocks whose m parity
 * packets go out when the block has k packets or when its deadline passes, whichever is first,
 * so parity never delays data and a lost packet can be rebuilt within the deadline.
 * With the sliding-window code (`code: 'sliding'`, the default, ./sliding/) there are no
 * blocks: a repair over the last `window` packets goes out every k/m packets (the credit below)
 * and at the latest `repairDelayMs` after the oldest packet no repair covers yet, so a lone
 * loss is rebuilt by the next repair and a burst by the ones after it (docs/wanopt.md).
 * No sockets and no real time: `send` and the clock are injected.
 */
import {
  OPTIMIZER_HEADER_LENGTH,
  OPTIMIZER_MAX_K,
  OPTIMIZER_MAX_M,
  OPTIMIZER_SHARD_PREFIX,
  OPTIMIZER_TUN_MTU,
  shardPrefix,
  writeOptimizerHeader,
} from '../../protocol/optimizer'
import { compressBlock } from '../../wasm/lz4'
import type { Clock } from '../clock'
import { reedSolomon } from './codecs'
import { DEFAULT_CODE, DEFAULT_DEADLINE_MS, DEFAULT_K, DEFAULT_REPAIR_DELAY_MS } from './defaults'
import type { OptimizerMetrics } from './metrics'
import { SlidingEncoder } from './sliding/encoder'
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
  readonly #send: (datagram: Uint8Array) => void
  readonly #autoFlush: boolean
  readonly #abort = new AbortController()
  readonly #metrics: OptimizerMetrics | undefined
  #options: OptimizerOptions
  #m: number
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
  #timerArmed = false
  #closed = false
  // Sliding code: the next source number, the repair credit (+m per packet, a repair at k),
  // and the packets sent since the last repair (the oldest of them sets the time bound).
  readonly #encoder: SlidingEncoder | undefined
  #esi = 0
  #credit = 0
  #unprotected = 0
  #firstUnprotectedAt = 0

  constructor(config: OptimizerSenderConfig) {
    this.k = config.k ?? DEFAULT_K
    if (!Number.isInteger(this.k) || this.k < 1 || this.k > OPTIMIZER_MAX_K) {
      throw new RangeError(`optimizer sender: k must be an integer 1..${OPTIMIZER_MAX_K}`)
    }
    this.deadlineMs = config.deadlineMs ?? DEFAULT_DEADLINE_MS
    this.maxPacket = config.maxPacket ?? OPTIMIZER_TUN_MTU
    this.pathLabel = config.pathLabel ?? 'default'
    this.#clock = config.clock
    this.#send = config.send
    this.#autoFlush = config.autoFlush ?? true
    this.#options = { fec: config.fec ?? true, compression: config.compression ?? true }
    this.#m = clampM(config.m ?? 0)
    this.#session = config.session ?? randomSession()
    this.#metrics = config.metrics
    this.code = config.code ?? DEFAULT_CODE
    this.repairDelayMs = config.repairDelayMs ?? DEFAULT_REPAIR_DELAY_MS
    this.#encoder =
      this.code === 'sliding'
        ? new SlidingEncoder({
            window: config.window,
            windowMs: config.windowMs,
            maxStored: this.maxPacket,
          })
        : undefined
    this.#metrics?.attachSender(this)
  }

  get session(): number {
    return this.#session
  }

  get options(): OptimizerOptions {
    return { ...this.#options }
  }

  /** Parity packets per full block in use (0 with FEC off). */
  get redundancy(): number {
    return this.#options.fec ? this.#m : 0
  }

  /**
   * Parity per full block from the next block on (a block keeps the plan it started with). An
   * open block planned without parity is closed at once when parity is turned on: without a
   * deadline it could otherwise stay open for k packets, a long time on a slow stream.
   */
  setRedundancy(m: number): void {
    this.#m = clampM(m)
    if (this.#m > 0 && this.#options.fec && this.#count > 0 && this.#plannedM === 0) {
      this.#finishBlock(false)
    }
  }

  /**
   * Turning FEC on or off closes the open block first (its parity goes out now), so that the
   * next packet starts a block planned under the new setting.
   */
  setOptions(options: Partial<OptimizerOptions>): void {
    if (options.fec !== undefined && options.fec !== this.#options.fec && this.#count > 0) {
      this.#finishBlock(false)
    }
    if (options.fec !== undefined && options.fec !== this.#options.fec && this.#unprotected > 0) {
      this.#sendRepair(false)
    }
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
      const c = compressBlock(ip)
      if (c.length < ip.length) {
        stored = c
        compressed = true
        stats.compressedPackets++
      }
    }
    stats.storedBytes += stored.length
    if (this.#encoder) {
      this.#pushSliding(this.#encoder, stored, compressed)
      return
    }
    if (this.#count === 0) this.#startBlock()
    const datagram = allocDatagram(OPTIMIZER_HEADER_LENGTH + stored.length)
    writeOptimizerHeader(datagram, {
      type: 'data',
      compressed,
      session: this.#session,
      block: this.#block,
      k: this.k,
      m: this.#plannedM,
      index: this.#count,
    })
    datagram.set(stored, OPTIMIZER_HEADER_LENGTH)
    if (this.#plannedM > 0) {
      this.#payloads.push(datagram.subarray(OPTIMIZER_HEADER_LENGTH))
      this.#compressed.push(compressed)
      if (stored.length > this.#longest) this.#longest = stored.length
    }
    this.#count++
    stats.dataDatagrams++
    stats.wireBytes += datagram.length
    try {
      this.#send(datagram)
    } finally {
      // Even if `send` throws, a full block must close, or its next index would be k.
      if (this.#count === this.k) this.#finishBlock(false)
    }
  }

  /** Sends the open block's parity if its deadline has passed (the timer calls this too). */
  tick(): void {
    if (this.#closed) return
    if (this.#encoder) {
      // Sliding code: the time bound of the oldest packet no repair covers yet.
      if (
        this.#unprotected > 0 &&
        this.#clock.now() - this.#firstUnprotectedAt >= this.repairDelayMs
      ) {
        this.#credit = 0
        this.#sendRepair(true)
      }
      return
    }
    if (this.#count === 0 || this.#plannedM === 0) return
    if (this.#clock.now() - this.#startedAt >= this.deadlineMs) this.#finishBlock(true)
  }

  /** Sends the open block's parity now and stops; idempotent. */
  close(): void {
    if (this.#closed) return
    if (this.#count > 0) this.#finishBlock(false)
    if (this.#unprotected > 0) this.#sendRepair(false)
    this.#closed = true
    this.#abort.abort()
    this.#metrics?.detachSender(this)
  }

  #startBlock(): void {
    this.#plannedM = this.#options.fec ? this.#m : 0
    if (this.#plannedM === 0) return
    this.#startedAt = this.#clock.now()
    this.#longest = 0
    this.#armTimer()
  }

  /** Closes the open block: its state is reset before any parity is handed to `send`. */
  #finishBlock(atDeadline: boolean): void {
    const n = this.#count
    const parity = this.#plannedM > 0 && n > 0 ? this.#parity(n) : []
    this.#payloads.length = 0
    this.#compressed.length = 0
    this.stats.blocks++
    this.#count = 0
    this.#plannedM = 0
    if (this.#block === 0xffffffff) {
      // Block numbers are u32 and compared without wrap-around: a new session instead.
      this.#session = randomSession()
      this.#block = 0
    } else {
      this.#block++
    }
    if (atDeadline && parity.length > 0) this.stats.deadlineFlushes++
    for (const datagram of parity) {
      this.stats.parityDatagrams++
      this.stats.wireBytes += datagram.length
      this.#send(datagram)
    }
  }

  /**
   * The open block's parity datagrams. A block closed early keeps the planned overhead ratio
   * (m * n / k, rounded, at least one: a lone packet of sparse real-time traffic still gets a
   * parity packet, i.e. a copy).
   */
  #parity(n: number): Uint8Array[] {
    const m = Math.min(OPTIMIZER_MAX_M, Math.max(1, Math.round((this.#plannedM * n) / this.k)))
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

  /**
   * Sliding code: the source datagram goes out at once; with FEC on and redundancy m > 0 the
   * packet is kept for repairs and earns m / k of one, so a repair follows every k / m packets
   * (at most one per packet: a repair is named by its window's last packet).
   */
  #pushSliding(encoder: SlidingEncoder, stored: Uint8Array, compressed: boolean): void {
    if (this.#esi > 0xffffffff) {
      // Source numbers are u32 and never wrap within a session: a new session instead.
      if (this.#unprotected > 0) this.#sendRepair(false)
      this.#session = randomSession()
      this.#esi = 0
      encoder.clear()
    }
    const now = this.#clock.now()
    const esi = this.#esi++
    const datagram = allocDatagram(OPTIMIZER_HEADER_LENGTH + stored.length)
    writeOptimizerHeader(datagram, {
      type: 'source',
      compressed,
      session: this.#session,
      block: esi,
      k: 0,
      m: 0,
      index: 0,
    })
    datagram.set(stored, OPTIMIZER_HEADER_LENGTH)
    const protect = this.#options.fec && this.#m > 0
    if (protect) encoder.add(esi, stored, compressed, now)
    this.stats.dataDatagrams++
    this.stats.wireBytes += datagram.length
    try {
      this.#send(datagram)
    } finally {
      if (protect) {
        if (this.#unprotected === 0) this.#firstUnprotectedAt = now
        this.#unprotected++
        this.#credit += this.#m
        if (this.#credit >= this.k) {
          this.#credit = Math.min(this.#credit - this.k, this.k - 1)
          this.#sendRepair(false)
        } else {
          this.#armTimer()
        }
      }
    }
  }

  /** A repair over the window ending at the last packet sent; nothing is unprotected after. */
  #sendRepair(atDeadline: boolean): void {
    this.#unprotected = 0
    if (!this.#encoder || this.#esi === 0) return
    const repair = this.#encoder.repair(
      this.#session,
      this.#esi - 1,
      this.#clock.now(),
      allocDatagram,
    )
    if (!repair) return
    this.stats.blocks++
    this.stats.parityDatagrams++
    this.stats.wireBytes += repair.length
    if (atDeadline) this.stats.deadlineFlushes++
    this.#send(repair)
  }

  /** One timer at a time: it fires at the open block's (or oldest unprotected packet's) deadline. */
  #armTimer(): void {
    if (!this.#autoFlush || this.#timerArmed || this.#closed) return
    this.#timerArmed = true
    const due = this.#encoder
      ? this.#firstUnprotectedAt + this.repairDelayMs
      : this.#startedAt + this.deadlineMs
    const wait = Math.max(0, due - this.#clock.now())
    void this.#clock.sleep(wait, this.#abort.signal).then(() => {
      this.#timerArmed = false
      if (this.#closed) return
      this.tick()
      if (this.#encoder ? this.#unprotected > 0 : this.#count > 0 && this.#plannedM > 0) {
        this.#armTimer()
      }
    })
  }
}

/**
 * Every byte of a datagram is written (header, then payload or parity), so it can come from
 * Node's pooled, unzeroed allocator: a fresh typed array of this size costs about a microsecond
 * (its own backing store), a large share of the per-packet budget at 100k packets/s.
 */
function allocDatagram(length: number): Uint8Array {
  return Buffer.allocUnsafe(length)
}

function clampM(m: number): number {
  if (!Number.isFinite(m)) return 0
  return Math.min(OPTIMIZER_MAX_M, Math.max(0, Math.round(m)))
}

function randomSession(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!
}
