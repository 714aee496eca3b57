/**
 * The receiving side of the sliding-window code for one sender session: source packets are
 * delivered on arrival and kept (views) for a horizon of ESIs; a repair whose window has unknown
 * packets becomes an equation over them (the known ones subtracted out, RFC 8681 sec. 1.1), and
 * the system of pending equations is solved by elimination (./elimination.ts) after each one,
 * so a lone loss comes back with the next repair and a burst with the repairs after it.
 * An unknown packet is given up, and counted, when it falls behind the horizon or has waited
 * `holdMs`; a repair covering a given-up packet can no longer help and is counted as unused.
 * Never throws on input: duplicates (sources and repairs), stale and inconsistent packets are
 * dropped and reported to the host. Memory: a ring of `horizon` views, at most `maxEquations`
 * equations of at most one shard each, a repair window ring of a few typed arrays.
 */
import { OPTIMIZER_SHARD_PREFIX, type OptimizerDropReason } from '../../../../protocol/optimizer'
import { linearCombination } from '../../../../wasm/fec'
import { mul } from '../../../../wasm/fec/gf256'
import { JumpGuard } from '../resync'
import { BlockWindow } from '../window'
import { repairCoefficients } from './coefficients'
import { solve } from './elimination'

/** What the decoder reports to its owner (the receiver keeps the stats and delivers). */
export interface SlidingDecoderHost {
  /** Decompresses if flagged and delivers; false if the packet was dropped doing so. */
  deliver(payload: Uint8Array, compressed: boolean): boolean
  drop(reason: OptimizerDropReason): void
  /** A source or repair passed the duplicate and window checks. */
  accepted(): void
  /** A packet was rebuilt and delivered this long after it should have arrived, ms. */
  recovered(waitMs: number): void
  /** Packets given up for good. */
  lost(packets: number): void
  /** A repair that had nothing to rebuild (or could no longer help). */
  unusedRepair(): void
  /** The session's numbers jumped far, confirmed: the decoder started over there (resync.ts). */
  resynced(): void
}

export interface SlidingDecoderConfig {
  /** ESIs kept behind the newest (default 256, at least 2 x the largest window). */
  horizon?: number
  /** How long an unknown packet waits to be rebuilt, ms (default 80). */
  holdMs?: number
  /** Pending equations kept (default 64); the oldest goes beyond it. */
  maxEquations?: number
  /** Largest stored payload accepted in a rebuilt shard. */
  maxStored: number
}

export const DEFAULT_SLIDING_HORIZON = 256
export const DEFAULT_SLIDING_HOLD_MS = 80
export const DEFAULT_SLIDING_MAX_EQUATIONS = 64

const KNOWN = 1
const LOST = 2

interface PendingEquation {
  unknowns: number[]
  coefficients: number[]
  /** A full shard's worth: prefix, payload, padding; the known packets already taken out. */
  payload: Uint8Array
}

export class SlidingDecoder {
  readonly horizon: number
  readonly holdMs: number
  readonly maxEquations: number
  readonly maxStored: number
  readonly #session: number
  readonly #host: SlidingDecoderHost
  // The ring of the last `horizon` ESIs: which ESI a slot holds, its state and packet.
  readonly #tag: Float64Array
  readonly #state: Uint8Array
  readonly #data: (Uint8Array | undefined)[]
  readonly #compressed: Uint8Array
  /** Missing ESIs still hoped for, with when each should have arrived. */
  readonly #unknown = new Map<number, number>()
  #equations: PendingEquation[] = []
  /** Repairs seen, by their window's last ESI (unique per repair), as 64-ESI "blocks". */
  #repairs: BlockWindow
  readonly #jumps: JumpGuard
  #top = -1
  #topAt = 0

  constructor(session: number, host: SlidingDecoderHost, config: SlidingDecoderConfig) {
    this.#session = session
    this.#host = host
    this.horizon = config.horizon ?? DEFAULT_SLIDING_HORIZON
    this.holdMs = config.holdMs ?? DEFAULT_SLIDING_HOLD_MS
    this.maxEquations = config.maxEquations ?? DEFAULT_SLIDING_MAX_EQUATIONS
    this.maxStored = config.maxStored
    this.#tag = new Float64Array(this.horizon).fill(-1)
    this.#state = new Uint8Array(this.horizon)
    this.#data = new Array(this.horizon).fill(undefined)
    this.#compressed = new Uint8Array(this.horizon)
    this.#repairs = this.#newRepairWindow()
    // Far jumps are held until confirmed (resync.ts). Ahead: a horizon or more past the newest
    // ESI (256 by default, 8 encoding windows of 32). A longer gap is an outage, not loss the
    // code could repair (nothing rebuilds a packet behind the horizon), and a real sender back
    // from it is confirmed within a few packets; a forged jump within the bound leaves the real
    // stream's newest and next ESIs inside the horizon, so they are still taken. The bound also caps the
    // loss one gap counts. Behind: anything the horizon refuses, so that a sender restarted under
    // the same id (ESIs from 0 again) is confirmed as fast.
    this.#jumps = new JumpGuard({
      maxAhead: this.horizon - 1,
      maxBehind: this.horizon - 1,
      tolerance: this.horizon,
    })
  }

  /** Unknown packets still hoped for (tests, bounds). */
  get unknowns(): number {
    return this.#unknown.size
  }

  get pendingEquations(): number {
    return this.#equations.length
  }

  onSource(esi: number, payload: Uint8Array, compressed: boolean, now: number): void {
    if (!this.#passesJumpGuard(esi)) return
    if (this.#behind(esi)) {
      this.#host.drop('out_of_window')
      return
    }
    const slot = esi % this.horizon
    if (this.#tag[slot] === esi && this.#state[slot] === KNOWN) {
      this.#host.drop('duplicate')
      return
    }
    this.#host.accepted()
    if (esi > this.#top) this.#advance(esi, now, true)
    this.#store(esi, payload, compressed)
    this.#host.deliver(payload, compressed)
    if (this.#unknown.delete(esi)) {
      // A straggler we were solving for: take it out of the equations, which may now solve.
      this.#substitute(esi, shardPrefix(payload, compressed), payload)
      this.#solve(now)
    }
  }

  onRepair(first: number, count: number, payload: Uint8Array, now: number): void {
    const last = first + count - 1
    if (!this.#passesJumpGuard(last)) return
    if (this.#behind(first)) {
      this.#host.drop('out_of_window')
      return
    }
    const verdict = this.#repairs.accept(Math.floor(last / 64), last % 64)
    if (verdict !== 'new') {
      this.#host.drop(verdict)
      return
    }
    this.#host.accepted()
    if (last > this.#top) this.#advance(last, now, false)
    const coefficients = repairCoefficients(this.#session, last, count)
    const unknowns: number[] = []
    const unknownCoefficients: number[] = []
    const known: Uint8Array[] = []
    const knownCoefficients: number[] = [1]
    let prefixHigh = payload[0]!
    let prefixLow = payload[1]!
    for (let e = first; e <= last; e++) {
      const slot = e % this.horizon
      const c = coefficients[e - first]!
      if (this.#tag[slot] === e && this.#state[slot] === LOST) {
        this.#host.unusedRepair() // it covers a packet given up: one more unknown than hoped
        return
      }
      if (this.#tag[slot] === e && this.#state[slot] === KNOWN) {
        const d = this.#data[slot]!
        if (OPTIMIZER_SHARD_PREFIX + d.length > payload.length) {
          this.#host.drop('inconsistent')
          return
        }
        const prefix = (this.#compressed[slot] ? 0x8000 : 0) | d.length
        prefixHigh ^= mul(c, prefix >> 8)
        prefixLow ^= mul(c, prefix & 0xff)
        known.push(d)
        knownCoefficients.push(c)
        continue
      }
      if (!this.#unknown.has(e)) this.#unknown.set(e, now) // before the first packet we saw
      unknowns.push(e)
      unknownCoefficients.push(c)
    }
    if (unknowns.length === 0) {
      this.#host.unusedRepair()
      return
    }
    // equation = repair + sum of c_i * known_i (addition is subtraction in GF(2^8)).
    const reduced = new Uint8Array(payload.length)
    reduced[0] = prefixHigh
    reduced[1] = prefixLow
    const body = reduced.subarray(OPTIMIZER_SHARD_PREFIX)
    linearCombination(knownCoefficients, [payload.subarray(OPTIMIZER_SHARD_PREFIX), ...known], body)
    this.#equations.push({ unknowns, coefficients: unknownCoefficients, payload: reduced })
    if (this.#equations.length > this.maxEquations) this.#equations.shift()
    this.#solve(now)
  }

  /** Gives up unknowns that have waited `holdMs` (the receiver's tick and pushes call it). */
  expire(now: number): void {
    for (const [esi, since] of this.#unknown) {
      if (now - since >= this.holdMs) this.#giveUp(esi)
    }
  }

  /** Gives up every unknown (the receiver closes or forgets the session). */
  close(): void {
    for (const esi of [...this.#unknown.keys()]) this.#giveUp(esi)
  }

  /** False (dropped as out_of_window) for a far jump not yet confirmed; resyncs once it is. */
  #passesJumpGuard(esi: number): boolean {
    const verdict = this.#jumps.check(esi, this.#top)
    if (verdict === 'held') {
      this.#host.drop('out_of_window')
      return false
    }
    if (verdict === 'resync') this.#startOver()
    return true
  }

  /**
   * Forgets the session's position: what was still hoped for is given up (counted), and the next
   * packet is taken as the first. The gap itself is not counted as loss: an outage and a restart
   * look the same here, and its size may be anything up to 2^32.
   */
  #startOver(): void {
    this.close()
    this.#equations = []
    this.#tag.fill(-1)
    this.#state.fill(0)
    this.#data.fill(undefined)
    this.#compressed.fill(0)
    this.#repairs = this.#newRepairWindow()
    this.#top = -1
    this.#host.resynced()
  }

  #newRepairWindow(): BlockWindow {
    return new BlockWindow(Math.ceil(this.horizon / 64) + 1)
  }

  #behind(esi: number): boolean {
    return this.#top >= 0 && esi <= this.#top - this.horizon
  }

  /**
   * `newest` is now the highest ESI known to exist. The ESIs skipped on the way are unknown
   * (a source packet reveals a gap; a repair, a lost tail), each expected at a time between
   * the previous newest packet's arrival and now; those falling behind the horizon are lost.
   */
  #advance(newest: number, now: number, arrived: boolean): void {
    if (this.#top < 0) {
      // The first packet of the session: nothing before it is known to be missing (a first
      // repair's window is looked at by onRepair itself).
      this.#top = newest
      this.#topAt = now
      return
    }
    const from = this.#top + 1
    const to = arrived ? newest - 1 : newest
    const floor = newest - this.horizon + 1
    if (floor > from) this.#host.lost(Math.min(floor, to + 1) - from)
    const span = newest - this.#top
    for (let e = Math.max(from, floor); e <= to; e++) {
      const expected = this.#topAt + ((e - this.#top) / span) * (now - this.#topAt)
      this.#unknown.set(e, expected)
      const slot = e % this.horizon
      this.#tag[slot] = e
      this.#state[slot] = 0
      this.#data[slot] = undefined
    }
    this.#top = newest
    if (arrived) this.#topAt = now
    for (const esi of this.#unknown.keys()) if (esi < floor) this.#giveUp(esi)
  }

  #store(esi: number, payload: Uint8Array, compressed: boolean): void {
    const slot = esi % this.horizon
    this.#tag[slot] = esi
    this.#state[slot] = KNOWN
    this.#data[slot] = payload
    this.#compressed[slot] = compressed ? 1 : 0
  }

  #giveUp(esi: number): void {
    if (!this.#unknown.delete(esi)) return
    const slot = esi % this.horizon
    this.#tag[slot] = esi
    this.#state[slot] = LOST
    this.#data[slot] = undefined
    this.#host.lost(1)
    this.#equations = this.#equations.filter((eq) => !eq.unknowns.includes(esi))
  }

  /** Rebuilds every unknown the pending equations determine, then takes it out of them. */
  #solve(now: number): void {
    const solutions = solve(this.#equations)
    if (solutions.length === 0) return
    const equations = this.#equations
    for (const s of solutions) {
      const used: Uint8Array[] = []
      const cs: number[] = []
      let length = 0
      s.combination.forEach((c, r) => {
        if (c === 0) return
        const p = equations[r]!.payload
        used.push(p)
        cs.push(c)
        if (p.length > length) length = p.length
      })
      const shard = linearCombination(cs, used, new Uint8Array(length))
      const since = this.#unknown.get(s.unknown) ?? now
      this.#unknown.delete(s.unknown)
      const prefix = (shard[0]! << 8) | shard[1]!
      const stored = prefix & 0x7fff
      const slot = s.unknown % this.horizon
      this.#tag[slot] = s.unknown
      if (stored === 0 || stored > length - OPTIMIZER_SHARD_PREFIX || stored > this.maxStored) {
        // Inconsistent repairs (or a forged one): the "solution" is no packet.
        this.#state[slot] = LOST
        this.#host.drop('bad_shard')
        this.#host.lost(1)
      } else {
        const payload = shard.subarray(OPTIMIZER_SHARD_PREFIX, OPTIMIZER_SHARD_PREFIX + stored)
        const compressed = (prefix & 0x8000) !== 0
        this.#store(s.unknown, payload, compressed)
        if (this.#host.deliver(payload, compressed)) this.#host.recovered(Math.max(0, now - since))
      }
      this.#substituteShard(s.unknown, shard)
    }
  }

  /** Takes a now-known packet (prefix + payload) out of every equation that has it. */
  #substitute(esi: number, prefix: number, payload: Uint8Array): void {
    const shard = new Uint8Array(OPTIMIZER_SHARD_PREFIX + payload.length)
    shard[0] = prefix >> 8
    shard[1] = prefix & 0xff
    shard.set(payload, OPTIMIZER_SHARD_PREFIX)
    this.#substituteShard(esi, shard)
  }

  #substituteShard(esi: number, shard: Uint8Array): void {
    const kept: PendingEquation[] = []
    for (const eq of this.#equations) {
      const i = eq.unknowns.indexOf(esi)
      if (i < 0) {
        kept.push(eq)
        continue
      }
      // Bytes past the equation's length are zero in a consistent shard; cut, not padded.
      const part = shard.length > eq.payload.length ? shard.subarray(0, eq.payload.length) : shard
      linearCombination([1, eq.coefficients[i]!], [eq.payload, part], eq.payload)
      eq.unknowns.splice(i, 1)
      eq.coefficients.splice(i, 1)
      if (eq.unknowns.length > 0) kept.push(eq)
    }
    this.#equations = kept
  }
}

function shardPrefix(payload: Uint8Array, compressed: boolean): number {
  return (compressed ? 0x8000 : 0) | payload.length
}
