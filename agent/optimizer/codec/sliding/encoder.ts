/**
 * The sending side of the sliding-window code (RFC 8681-style random linear code over GF(2^8)):
 * it keeps the last `window` source packets as shards in wasm memory (wasm/fec ShardSlots) and
 * makes repair packets, each a seeded linear combination of the source packets of its encoding
 * window (RFC 8681 sec. 3.1): the most recent run of consecutive packets, at most `window` of
 * them and none older than `windowMs`, so the receiver gives up on nothing a repair still
 * covers. When a repair is due is the sender's business (../sliding-stream-encoder.ts); this
 * class only builds it. Shards are [prefix u16][stored payload][zero padding], as for block
 * parity.
 */
import {
  OPTIMIZER_HEADER_LENGTH,
  OPTIMIZER_MAX_WINDOW,
  OPTIMIZER_SHARD_PREFIX,
  shardPrefix,
  writeOptimizerHeader,
} from '../../../../protocol/optimizer'
import { ShardSlots } from '../../../../wasm/fec'
import { repairCoefficients } from './coefficients'

export interface SlidingEncoderConfig {
  /** Source packets per repair window, 1..64 (default 32). */
  window?: number
  /** No packet older than this goes into a repair, ms (default 60). */
  windowMs?: number
  /** Largest stored payload (the sender's max packet). */
  maxStored: number
}

export const DEFAULT_SLIDING_WINDOW = 32
export const DEFAULT_SLIDING_WINDOW_MS = 60

export class SlidingEncoder {
  readonly window: number
  readonly windowMs: number
  readonly #slots: ShardSlots
  /** Per slot: the ESI it holds (-1 none), when it was added and its stored length. */
  readonly #esi: Float64Array
  readonly #at: Float64Array
  readonly #length: Uint16Array
  readonly #coefficients: Uint8Array
  readonly #indices: Uint8Array

  constructor(config: SlidingEncoderConfig) {
    this.window = config.window ?? DEFAULT_SLIDING_WINDOW
    if (!Number.isInteger(this.window) || this.window < 1 || this.window > OPTIMIZER_MAX_WINDOW) {
      throw new RangeError(`sliding encoder: window must be an integer 1..${OPTIMIZER_MAX_WINDOW}`)
    }
    this.windowMs = config.windowMs ?? DEFAULT_SLIDING_WINDOW_MS
    this.#slots = new ShardSlots(this.window, OPTIMIZER_SHARD_PREFIX + config.maxStored)
    this.#esi = new Float64Array(this.window).fill(-1)
    this.#at = new Float64Array(this.window)
    this.#length = new Uint16Array(this.window)
    this.#coefficients = new Uint8Array(this.window)
    this.#indices = new Uint8Array(this.window)
  }

  /** Keeps source packet `esi` (its stored payload) for the repairs that follow it. */
  add(esi: number, stored: Uint8Array, compressed: boolean, now: number): void {
    const slot = esi % this.window
    this.#slots.writePrefixed(slot, shardPrefix(stored.length, compressed), stored)
    this.#esi[slot] = esi
    this.#at[slot] = now
    this.#length[slot] = stored.length
  }

  /** Forgets every packet (a new session starts its numbers again). */
  clear(): void {
    this.#esi.fill(-1)
  }

  /**
   * The repair datagram for the window ending at `lastEsi` (which must have been added), or
   * undefined if it has aged out. `alloc` gives the datagram buffer (every byte is written).
   */
  repair(
    session: number,
    lastEsi: number,
    now: number,
    alloc: (length: number) => Uint8Array,
  ): Uint8Array | undefined {
    // Walk back over consecutive, recent packets: the window is [first, lastEsi].
    let count = 0
    let longest = 0
    while (count < this.window && lastEsi - count >= 0) {
      const slot = (lastEsi - count) % this.window
      if (this.#esi[slot] !== lastEsi - count || now - this.#at[slot]! > this.windowMs) break
      if (this.#length[slot]! > longest) longest = this.#length[slot]!
      count++
    }
    if (count === 0) return undefined
    const first = lastEsi - count + 1
    const coefficients = repairCoefficients(session, lastEsi, count, this.#coefficients)
    for (let i = 0; i < count; i++) this.#indices[i] = (first + i) % this.window
    const shardLength = OPTIMIZER_SHARD_PREFIX + longest
    const datagram = alloc(OPTIMIZER_HEADER_LENGTH + shardLength)
    writeOptimizerHeader(datagram, {
      type: 'repair',
      compressed: false,
      session,
      block: first,
      k: count,
      m: 0,
      index: 0,
    })
    this.#slots.combine(
      coefficients.subarray(0, count),
      this.#indices.subarray(0, count),
      datagram.subarray(OPTIMIZER_HEADER_LENGTH),
    )
    return datagram
  }
}
