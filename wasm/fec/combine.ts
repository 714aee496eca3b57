/**
 * Arbitrary GF(2^8) linear combinations of byte strings, out = sum of c_i * shard_i, for the
 * sliding-window code (agent/optimizer/codec/sliding/): a repair packet is a combination of the
 * source packets of its window with seeded coefficients, and decoding combines repairs and known
 * packets. The byte work runs in the same SIMD multiply-accumulate as Reed-Solomon
 * (wasm/fec/assembly/index.ts, `mulMatrix` with one output row). Shards shorter than the output
 * count as zero-padded, which is how packets of different lengths share one code.
 *
 * Two ways in: `linearCombination` copies its shards into wasm memory on every call (the decoder,
 * which combines rarely: only when something was lost), and `ShardSlots` keeps a fixed set of
 * shards in a wasm instance of its own, so that the encoder copies each packet in once and each
 * repair costs only the multiply (at a repair every 5 packets over a 32-packet window, copying
 * the window per repair would move ~6 times every byte sent).
 */
import { Arena, type ArenaExports, instantiateModule } from '../shared/instance.js'
import { FecError } from './fec.js'
import { mul } from './gf256.js'

interface FecExports extends ArenaExports {
  mulMatrix(tbl: number, rows: number, cols: number, ins: number, outs: number, len: number): void
}

/** 32 bytes per coefficient a: lo[x] = a*x, hi[x] = a*(x << 4), x < 16 (wasm/fec/tables.ts). */
const NIBBLES = (() => {
  const t = new Uint8Array(256 * 32)
  for (let a = 0; a < 256; a++) {
    for (let x = 0; x < 16; x++) {
      t[a * 32 + x] = mul(a, x)
      t[a * 32 + 16 + x] = mul(a, x << 4)
    }
  }
  return t
})()

/**
 * One-row nibble tables for `coefficients`, written at `at` in `mem` from the copy of NIBBLES
 * kept at `nibbles` in the same memory (copyWithin: no view objects made per coefficient).
 */
function writeTables(
  mem: Uint8Array,
  nibbles: number,
  at: number,
  coefficients: ArrayLike<number>,
): void {
  for (let i = 0; i < coefficients.length; i++) {
    const from = nibbles + (coefficients[i]! & 0xff) * 32
    mem.copyWithin(at + i * 32, from, from + 32)
  }
}

let shared: { exports: FecExports; arena: Arena; nibbles: number } | undefined

/**
 * The instance for linearCombination. NIBBLES is its first allocation after every reset, so
 * it always lands at the same address and is written once (nothing else uses this memory).
 */
function instance(): { exports: FecExports; arena: Arena; nibbles: number } {
  if (!shared) {
    const exports = instantiateModule<FecExports>('fec')
    const arena = new Arena(exports)
    const nibbles = arena.put(NIBBLES)
    shared = { exports, arena, nibbles }
  }
  shared.arena.reset()
  shared.arena.alloc(NIBBLES.length)
  return shared
}

/**
 * out = sum of coefficients[i] * shards[i] over GF(2^8), for out.length bytes; a shard shorter
 * than out is read as if zero-padded. `out` may be one of the shards. Returns out.
 */
export function linearCombination(
  coefficients: ArrayLike<number>,
  shards: readonly Uint8Array[],
  out: Uint8Array,
): Uint8Array {
  if (coefficients.length !== shards.length) {
    throw new FecError(
      'INVALID_PARAMS',
      `linear combination: ${coefficients.length} coefficients for ${shards.length} shards`,
    )
  }
  const len = out.length
  shards.forEach((s, i) => {
    if (s.length > len) {
      throw new FecError(
        'SHARD_SIZE',
        `linear combination: shard ${i} has length ${s.length}, longer than the output (${len})`,
      )
    }
  })
  const n = shards.length
  if (n === 0 || len === 0) return out.fill(0)
  const { exports, arena, nibbles } = instance()
  const tbl = arena.alloc(n * 32)
  const ptrs = arena.alloc(4 * (n + 1))
  const data = arena.alloc(len * (n + 1))
  const mem = arena.u8()
  writeTables(mem, nibbles, tbl, coefficients)
  const ptrView = new Uint32Array(mem.buffer, ptrs, n + 1)
  shards.forEach((s, i) => {
    const at = data + i * len
    ptrView[i] = at
    mem.set(s, at)
    mem.fill(0, at + s.length, at + len)
  })
  const outAt = data + n * len
  ptrView[n] = outAt
  exports.mulMatrix(tbl, 1, n, ptrs, ptrs + 4 * n, len)
  out.set(mem.subarray(outAt, outAt + len))
  return out
}

/**
 * A fixed number of shard slots of at most `slotBytes` each, kept in wasm memory between calls.
 * `write` copies a shard in (zero-padding the rest of its slot); `combine` multiplies any slots
 * by coefficients into `out`. Memory: slots x slotBytes plus tables, allocated once.
 */
export class ShardSlots {
  readonly slots: number
  readonly slotBytes: number
  readonly #exports: FecExports
  readonly #nibbles: number
  readonly #tbl: number
  readonly #ptrs: number
  readonly #data: number
  readonly #out: number

  constructor(slots: number, slotBytes: number) {
    if (!Number.isInteger(slots) || slots < 1 || !Number.isInteger(slotBytes) || slotBytes < 1) {
      throw new FecError('INVALID_PARAMS', `shard slots: need slots >= 1 and slotBytes >= 1`)
    }
    this.slots = slots
    this.slotBytes = slotBytes
    this.#exports = instantiateModule<FecExports>('fec')
    const arena = new Arena(this.#exports)
    this.#nibbles = arena.put(NIBBLES)
    this.#tbl = arena.alloc(slots * 32)
    this.#ptrs = arena.alloc(4 * (slots + 1))
    this.#data = arena.alloc(slots * slotBytes)
    this.#out = arena.alloc(slotBytes)
    // Every slot starts as zeros (a fresh memory is zeroed; growth keeps that).
  }

  /** Copies `shard` into `slot`, zeroing the slot's bytes after it. */
  write(slot: number, shard: Uint8Array): void {
    this.#check(slot)
    if (shard.length > this.slotBytes) {
      throw new FecError('SHARD_SIZE', `shard slots: ${shard.length} bytes over ${this.slotBytes}`)
    }
    const mem = new Uint8Array(this.#exports.memory.buffer)
    const at = this.#data + slot * this.slotBytes
    mem.set(shard, at)
    mem.fill(0, at + shard.length, at + this.slotBytes)
  }

  /** Writes 2 bytes then `body` into `slot` (a shard's length prefix and payload), zero-padded. */
  writePrefixed(slot: number, prefix: number, body: Uint8Array): void {
    this.#check(slot)
    if (body.length + 2 > this.slotBytes) {
      throw new FecError(
        'SHARD_SIZE',
        `shard slots: ${body.length + 2} bytes over ${this.slotBytes}`,
      )
    }
    const mem = new Uint8Array(this.#exports.memory.buffer)
    const at = this.#data + slot * this.slotBytes
    mem[at] = prefix >> 8
    mem[at + 1] = prefix & 0xff
    mem.set(body, at + 2)
    mem.fill(0, at + 2 + body.length, at + this.slotBytes)
  }

  /** out = sum of coefficients[i] * slot slotIndices[i], for out.length (<= slotBytes) bytes. */
  combine(coefficients: ArrayLike<number>, slotIndices: ArrayLike<number>, out: Uint8Array): void {
    const n = slotIndices.length
    if (coefficients.length !== n || out.length > this.slotBytes) {
      throw new FecError('INVALID_PARAMS', 'shard slots: bad combine arguments')
    }
    const mem = new Uint8Array(this.#exports.memory.buffer)
    if (n === 0) {
      out.fill(0)
      return
    }
    writeTables(mem, this.#nibbles, this.#tbl, coefficients)
    const ptrView = new Uint32Array(mem.buffer, this.#ptrs, n + 1)
    for (let i = 0; i < n; i++) {
      const slot = slotIndices[i]!
      this.#check(slot)
      ptrView[i] = this.#data + slot * this.slotBytes
    }
    ptrView[n] = this.#out
    this.#exports.mulMatrix(this.#tbl, 1, n, this.#ptrs, this.#ptrs + 4 * n, out.length)
    out.set(mem.subarray(this.#out, this.#out + out.length))
  }

  #check(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) {
      throw new FecError('INVALID_PARAMS', `shard slots: slot ${slot} outside 0..${this.slots - 1}`)
    }
  }
}
