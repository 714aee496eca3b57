/**
 * The quality prober: every `intervalMs` it sends one authenticated echo request on every
 * path, from a socket bound to the local uplink's address to the responder on the peer's
 * uplink address, and turns the replies into per-path statistics (stats.ts). One socket per
 * local uplink address serves all its paths; replies are matched by session (one random
 * session per path), source address and sequence. Time comes from the injected clock only.
 */
import { randomInt } from 'node:crypto'
import type { Clock } from '../../clock'
import { type DropCounts, emptyDrops } from './drops'
import type { ProbeSocket, ProbeSocketFactory, Remote } from './socket'
import { type PathQualityStats, PathStatsTracker, type StatsOptions } from './stats'
import { type DropReason, decodeProbe, encodeProbe, precheckProbe, toMicros } from './wire'

export interface ProbePathRef {
  peerSiteId: string
  localSlot: number
  remoteSlot: number
}

export interface QualityPath extends ProbePathRef {
  /** Local uplink address the probes leave from. */
  localAddress: string
  /** The peer uplink's address and the port its responder listens on. */
  remoteAddress: string
  remotePort: number
  /** The site pair's key (agent/probes/keys.ts). */
  key: Uint8Array
}

export interface PathQuality extends ProbePathRef, PathQualityStats {}

export interface QualityProberOptions {
  clock: Clock
  sockets: ProbeSocketFactory
  intervalMs: number
  stats?: Partial<StatsOptions>
  /** A random uint32 (session ids); crypto by default. */
  randomU32?: () => number
  /** Every accepted reply's RTT (for the RTT histogram). */
  onRtt?: (path: ProbePathRef, rttMs: number) => void
  /**
   * Every probe outcome as it becomes known: a reply (rttMs) or a declared loss (null), at
   * clock time tMs (the failure predictor's input, agent/predict).
   */
  onOutcome?: (
    path: ProbePathRef,
    outcome: { tMs: number; seq: number; rttMs: number | null },
  ) => void
  onError?: (error: Error) => void
}

interface Entry {
  ref: ProbePathRef
  cfg: QualityPath
  session: number
  sequence: number
  stats: PathStatsTracker
}

const pathKey = (p: ProbePathRef) => `${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`

export class QualityProber {
  readonly #o: QualityProberOptions
  #intervalMs: number
  readonly #paths = new Map<string, Entry>()
  readonly #bySession = new Map<number, Entry>()
  readonly #sockets = new Map<string, ProbeSocket>()
  readonly #drops = emptyDrops()
  #sendErrors = 0
  #abort: AbortController | null = null
  #loop: Promise<void> | null = null

  constructor(options: QualityProberOptions) {
    this.#o = options
    this.#intervalMs = options.intervalMs
  }

  get drops(): Readonly<DropCounts> {
    return this.#drops
  }

  get sendErrors(): number {
    return this.#sendErrors
  }

  /**
   * Sets the paths (idempotent): kept paths keep their statistics, changed ones (other
   * addresses or port) start over, sockets follow the local addresses in use. A local address
   * that cannot be bound is reported to onError and retried at the next reconfig.
   */
  async reconfig(paths: readonly QualityPath[], intervalMs = this.#intervalMs): Promise<void> {
    this.#intervalMs = intervalMs
    const next = new Map<string, Entry>()
    for (const cfg of paths) {
      const key = pathKey(cfg)
      const old = this.#paths.get(key)
      if (
        old &&
        old.cfg.localAddress === cfg.localAddress &&
        old.cfg.remoteAddress === cfg.remoteAddress &&
        old.cfg.remotePort === cfg.remotePort
      ) {
        old.cfg = cfg
        next.set(key, old)
      } else {
        next.set(key, this.#newEntry(cfg))
      }
    }
    this.#paths.clear()
    this.#bySession.clear()
    for (const [key, entry] of next) {
      this.#paths.set(key, entry)
      this.#bySession.set(entry.session, entry)
    }
    const wanted = new Set(paths.map((p) => p.localAddress))
    for (const [address, socket] of this.#sockets) {
      if (!wanted.has(address)) {
        this.#sockets.delete(address)
        await socket.close()
      }
    }
    for (const address of wanted) {
      if (this.#sockets.has(address)) continue
      try {
        const socket = await this.#o.sockets.bind({
          address,
          port: 0,
          onMessage: (bytes, from) => this.#onMessage(bytes, from),
          onError: (error) => this.#o.onError?.(error),
        })
        this.#sockets.set(address, socket)
      } catch (error) {
        this.#o.onError?.(error as Error)
      }
    }
  }

  /** Starts the probe loop (idempotent). */
  start(): void {
    if (this.#abort) return
    const abort = new AbortController()
    this.#abort = abort
    this.#loop = (async () => {
      while (!abort.signal.aborted) {
        try {
          this.tick()
        } catch (error) {
          this.#o.onError?.(error as Error)
        }
        await this.#o.clock.sleep(this.#intervalMs, abort.signal)
      }
    })()
  }

  /** Stops the loop and closes the sockets (idempotent). */
  async stop(): Promise<void> {
    this.#abort?.abort()
    await this.#loop
    this.#abort = null
    this.#loop = null
    const sockets = [...this.#sockets.values()]
    this.#sockets.clear()
    await Promise.all(sockets.map((s) => s.close()))
  }

  /** One round: expire overdue probes, send one probe per path. Public for tests. */
  tick(): void {
    const now = this.#o.clock.now()
    const onOutcome = this.#o.onOutcome
    for (const entry of this.#paths.values()) {
      entry.stats.expire(
        now,
        onOutcome && ((seq) => onOutcome(entry.ref, { tMs: now, seq, rttMs: null })),
      )
      const socket = this.#sockets.get(entry.cfg.localAddress)
      if (!socket) continue
      if (entry.sequence === 0xffff_ffff) this.#rekeySession(entry)
      entry.sequence++
      const bytes = encodeProbe(
        {
          type: 'request',
          senderSlot: entry.ref.localSlot,
          receiverSlot: entry.ref.remoteSlot,
          session: entry.session,
          sequence: entry.sequence,
          t1: toMicros(now),
          t2: 0n,
        },
        entry.cfg.key,
      )
      entry.stats.sent(entry.sequence, now)
      try {
        socket.send(bytes, { address: entry.cfg.remoteAddress, port: entry.cfg.remotePort })
      } catch (error) {
        this.#sendErrors++
        this.#o.onError?.(error as Error)
      }
    }
  }

  snapshot(): PathQuality[] {
    const now = this.#o.clock.now()
    return [...this.#paths.values()].map((e) => ({ ...e.ref, ...e.stats.snapshot(now) }))
  }

  #onMessage(bytes: Uint8Array, from: Remote): void {
    const reason = this.#handle(bytes, from)
    if (reason) this.#drops[reason]++
  }

  #handle(bytes: Uint8Array, from: Remote): DropReason | null {
    const pre = precheckProbe(bytes)
    if (!pre.ok) return pre.reason
    if (pre.type !== 'reply') return 'unexpected'
    const entry = this.#bySession.get(pre.session)
    if (!entry) return 'unexpected'
    if (from.address !== entry.cfg.remoteAddress || from.port !== entry.cfg.remotePort) {
      return 'unexpected'
    }
    const decoded = decodeProbe(bytes, entry.cfg.key)
    if (!decoded.ok) return decoded.reason
    const p = decoded.packet
    if (p.senderSlot !== entry.ref.remoteSlot || p.receiverSlot !== entry.ref.localSlot) {
      return 'unexpected'
    }
    const at = this.#o.clock.now()
    const result = entry.stats.reply(p.sequence, at)
    if (result.verdict === 'late') return 'late'
    if (result.verdict === 'duplicate') return 'replay'
    if (result.verdict === 'unknown') return 'unexpected'
    this.#o.onRtt?.(entry.ref, result.rttMs!)
    this.#o.onOutcome?.(entry.ref, { tMs: at, seq: p.sequence, rttMs: result.rttMs! })
    return null
  }

  #newEntry(cfg: QualityPath): Entry {
    const entry: Entry = {
      ref: { peerSiteId: cfg.peerSiteId, localSlot: cfg.localSlot, remoteSlot: cfg.remoteSlot },
      cfg,
      session: this.#freshSession(),
      sequence: 0,
      stats: new PathStatsTracker(this.#o.stats),
    }
    return entry
  }

  #rekeySession(entry: Entry): void {
    this.#bySession.delete(entry.session)
    entry.session = this.#freshSession()
    entry.sequence = 0
    this.#bySession.set(entry.session, entry)
  }

  #freshSession(): number {
    const random = this.#o.randomU32 ?? (() => randomInt(0, 2 ** 32 - 1))
    for (let i = 0; i < 16; i++) {
      const s = random() >>> 0
      if (!this.#bySession.has(s)) return s
    }
    throw new Error('quality prober: no free session id after 16 draws')
  }
}
