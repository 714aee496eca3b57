/**
 * Systematic Reed-Solomon erasure coding over GF(2^8) for the agent's forward error correction:
 * k data shards + m parity shards (k + m <= 255, shards of any equal length); any k of the k + m
 * shards recover all of them. Matrix algebra runs here in TypeScript (it is tiny and cached per
 * erasure pattern); the byte work runs in the SIMD wasm module wasm/fec/assembly/index.ts.
 */
import { Arena, type ArenaExports, instantiateModule } from '../shared/instance.js'
import { cauchyParity, encodingRow, invert, multiply } from './matrix.js'
import { nibbleTables } from './tables.js'

export type FecErrorCode = 'INVALID_PARAMS' | 'SHARD_SIZE' | 'TOO_FEW_SHARDS'

/** A misuse of the codec, with a code callers can branch on. */
export class FecError extends Error {
  override readonly name = 'FecError'
  constructor(
    readonly code: FecErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export interface ReedSolomon {
  readonly dataShards: number
  readonly parityShards: number
  /**
   * Compute the m parity shards of the k data shards. Given k + m shards, the last m are
   * overwritten in place (they must have the data shards' length) and returned; given k shards,
   * fresh parity shards are returned.
   */
  encode(shards: readonly Uint8Array[]): Uint8Array[]
  /**
   * Rebuild every shard whose `present` flag is false from any k present ones. A missing shard
   * given as a Uint8Array of the right length is filled in place, otherwise a new one is made.
   * Returns all k + m shards.
   */
  reconstruct(
    shards: readonly (Uint8Array | undefined)[],
    present: readonly boolean[],
  ): Uint8Array[]
}

interface FecExports extends ArenaExports {
  mulMatrix(tbl: number, rows: number, cols: number, ins: number, outs: number, len: number): void
}

let wasm: { exports: FecExports; arena: Arena } | undefined

function module(): { exports: FecExports; arena: Arena } {
  if (!wasm) {
    const exports = instantiateModule<FecExports>('fec')
    wasm = { exports, arena: new Arena(exports) }
  }
  return wasm
}

/** Cached per erasure pattern: which shards to read and the tables producing the missing ones. */
interface Plan {
  inputs: number[]
  outputs: number[]
  tables: Uint8Array
}

const MAX_CACHED_PLANS = 256

export function createReedSolomon(dataShards: number, parityShards: number): ReedSolomon {
  const k = dataShards
  const m = parityShards
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 1 || k + m > 255) {
    throw new FecError(
      'INVALID_PARAMS',
      `reed-solomon: need integers k >= 1, m >= 1, k + m <= 255, got k=${k} m=${m}`,
    )
  }
  const parity = cauchyParity(k, m)
  const encodeTables = nibbleTables(parity, m, k)
  const plans = new Map<string, Plan>()

  function planFor(present: readonly boolean[]): Plan {
    const key = present.map((p) => (p ? '1' : '0')).join('')
    const cached = plans.get(key)
    if (cached) return cached
    const inputs: number[] = []
    const outputs: number[] = []
    present.forEach((p, i) => {
      if (!p) outputs.push(i)
      else if (inputs.length < k) inputs.push(i)
    })
    // data = D * shards[inputs], with D the inverse of the chosen rows of [I; C]; a missing data
    // shard i is row i of D, a missing parity shard j is C[j] * D.
    const chosen = new Uint8Array(k * k)
    inputs.forEach((s, r) => {
      chosen.set(encodingRow(parity, k, s), r * k)
    })
    const decode = invert(chosen, k)
    const coef = new Uint8Array(outputs.length * k)
    outputs.forEach((s, r) => {
      const row =
        s < k
          ? decode.subarray(s * k, (s + 1) * k)
          : multiply(encodingRow(parity, k, s), decode, 1, k, k)
      coef.set(row, r * k)
    })
    const plan = { inputs, outputs, tables: nibbleTables(coef, outputs.length, k) }
    if (plans.size >= MAX_CACHED_PLANS) plans.delete(plans.keys().next().value!)
    plans.set(key, plan)
    return plan
  }

  return {
    dataShards: k,
    parityShards: m,

    encode(shards) {
      if (shards.length !== k && shards.length !== k + m) {
        throw new FecError(
          'INVALID_PARAMS',
          `reed-solomon encode: expected ${k} or ${k + m} shards, got ${shards.length}`,
        )
      }
      const len = commonLength(shards, 'encode')
      const out =
        shards.length === k + m
          ? shards.slice(k)
          : Array.from({ length: m }, () => new Uint8Array(len))
      run(encodeTables, shards.slice(0, k), out, len)
      return out as Uint8Array[]
    },

    reconstruct(shards, present) {
      if (shards.length !== k + m || present.length !== k + m) {
        throw new FecError(
          'INVALID_PARAMS',
          `reed-solomon reconstruct: expected ${k + m} shards and present flags, got ` +
            `${shards.length} and ${present.length}`,
        )
      }
      const have = present.filter(Boolean).length
      if (have < k) {
        throw new FecError(
          'TOO_FEW_SHARDS',
          `reed-solomon reconstruct: ${k + m - have} shards lost but only ${m} can be recovered ` +
            `(k=${k}, m=${m})`,
        )
      }
      const given = shards.filter((_, i) => present[i])
      if (given.some((s) => s === undefined)) {
        throw new FecError('INVALID_PARAMS', 'reed-solomon reconstruct: a present shard is missing')
      }
      const len = commonLength(given as Uint8Array[], 'reconstruct')
      const all = shards.map((s, i) => {
        if (present[i]) return s as Uint8Array
        if (s === undefined) return new Uint8Array(len)
        if (s.length !== len) {
          throw new FecError(
            'SHARD_SIZE',
            `reed-solomon reconstruct: shard ${i} to rebuild has length ${s.length}, expected ${len}`,
          )
        }
        return s
      })
      if (have === k + m) return all
      const plan = planFor(present)
      run(
        plan.tables,
        plan.inputs.map((i) => all[i]!),
        plan.outputs.map((i) => all[i]!),
        len,
      )
      return all
    },
  }
}

/** Copy the inputs into wasm memory, multiply, copy the outputs back into `outputs`. */
function run(tables: Uint8Array, inputs: Uint8Array[], outputs: Uint8Array[], len: number): void {
  const { exports, arena } = module()
  arena.reset()
  const tbl = arena.put(tables)
  const ptrs = arena.alloc(4 * (inputs.length + outputs.length))
  const data = arena.alloc(len * (inputs.length + outputs.length))
  const mem = arena.u8()
  const ptrView = new Uint32Array(mem.buffer, ptrs, inputs.length + outputs.length)
  inputs.forEach((s, i) => {
    ptrView[i] = data + i * len
    mem.set(s, data + i * len)
  })
  outputs.forEach((_, i) => {
    ptrView[inputs.length + i] = data + (inputs.length + i) * len
  })
  exports.mulMatrix(tbl, outputs.length, inputs.length, ptrs, ptrs + 4 * inputs.length, len)
  outputs.forEach((s, i) => {
    const at = data + (inputs.length + i) * len
    s.set(mem.subarray(at, at + len))
  })
}

function commonLength(shards: readonly Uint8Array[], op: string): number {
  const len = shards[0]!.length
  shards.forEach((s, i) => {
    if (s.length !== len) {
      throw new FecError(
        'SHARD_SIZE',
        `reed-solomon ${op}: shard ${i} has length ${s.length}, expected ${len} like shard 0`,
      )
    }
  })
  return len
}
