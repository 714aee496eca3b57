/**
 * Batch path scoring: given metric arrays for N paths and weights for M traffic classes, the
 * score of every (path, class) pair and the best path of each class, computed in wasm
 * (wasm/score/assembly/index.ts). The score, higher is better:
 *
 *   score = w.bandwidth * bw / (bw + 100) + w.mos * mos
 *           - w.latency * latencyMs - w.jitter * jitterMs - w.loss * loss - w.cost * cost
 *
 * evaluated left to right. A path is usable when every metric is finite, latency >= 0,
 * bandwidth >= 0 and 0 <= loss < 1 (a dead path reports loss 1); unusable paths are never best.
 * Ties go to the lowest path index; a class with no usable path gets index -1.
 */
import { Arena, type ArenaExports, instantiateModule } from '../shared/instance.js'

/** Metrics of N paths, one array per metric, index = path. */
export interface PathMetrics {
  latencyMs: Float64Array
  jitterMs: Float64Array
  /** Fraction in [0, 1]. */
  loss: Float64Array
  bandwidthMbps: Float64Array
  cost: Float64Array
  /** Mean opinion score, 1 to 5. */
  mos: Float64Array
}

/** How much a traffic class cares about each metric (all >= 0 in sensible policies). */
export interface ClassWeights {
  latency: number
  jitter: number
  loss: number
  bandwidth: number
  cost: number
  mos: number
}

export interface ScoreResult {
  /** Best path index per class, -1 when no path is usable. */
  bestPath: Int32Array
  /** Score of that path, -Infinity when none. */
  bestScore: Float64Array
  /** When requested: M x N scores, row per class (unusable paths still get a number). */
  scores?: Float64Array
}

export const METRIC_ORDER = [
  'latencyMs',
  'jitterMs',
  'loss',
  'bandwidthMbps',
  'cost',
  'mos',
] as const
const WEIGHT_ORDER = ['latency', 'jitter', 'loss', 'bandwidth', 'cost', 'mos'] as const

interface ScoreExports extends ArenaExports {
  scoreBatch(
    n: number,
    m: number,
    metrics: number,
    weights: number,
    scratch: number,
    bestIdx: number,
    bestScore: number,
    scores: number,
  ): void
}

let wasm: { exports: ScoreExports; arena: Arena } | undefined

/** Flatten class weights into the M x 6 row-major layout the batch call takes. */
export function packWeights(classes: readonly ClassWeights[]): Float64Array {
  const out = new Float64Array(classes.length * 6)
  classes.forEach((w, c) => {
    WEIGHT_ORDER.forEach((k, i) => {
      out[c * 6 + i] = w[k]
    })
  })
  return out
}

export function scorePaths(
  metrics: PathMetrics,
  weights: readonly ClassWeights[] | Float64Array,
  options: { scores?: boolean } = {},
): ScoreResult {
  const n = metrics.latencyMs.length
  for (const k of METRIC_ORDER) {
    if (metrics[k].length !== n) {
      throw new RangeError(`scorePaths: ${k} has ${metrics[k].length} paths, latencyMs has ${n}`)
    }
  }
  const packed = weights instanceof Float64Array ? weights : packWeights(weights)
  if (packed.length % 6 !== 0) {
    throw new RangeError(`scorePaths: weights length ${packed.length} is not a multiple of 6`)
  }
  const m = packed.length / 6
  if (!wasm) {
    const exports = instantiateModule<ScoreExports>('score')
    wasm = { exports, arena: new Arena(exports) }
  }
  const { exports, arena } = wasm
  const n2 = (n + 1) & ~1
  arena.reset()
  const mPtr = arena.alloc(6 * n2 * 8)
  const wPtr = arena.alloc(packed.byteLength)
  const scratch = arena.alloc(2 * n2 * 8)
  const idxPtr = arena.alloc(m * 4)
  const bestPtr = arena.alloc(m * 8)
  const scoresPtr = options.scores ? arena.alloc(m * n2 * 8) : 0
  const f64 = new Float64Array(arena.u8().buffer)
  METRIC_ORDER.forEach((k, i) => {
    f64.set(metrics[k], mPtr / 8 + i * n2)
    if (n2 > n) f64[mPtr / 8 + i * n2 + n] = 0
  })
  f64.set(packed, wPtr / 8)
  exports.scoreBatch(n, m, mPtr, wPtr, scratch, idxPtr, bestPtr, scoresPtr)
  const buffer = arena.u8().buffer
  const result: ScoreResult = {
    bestPath: new Int32Array(buffer, idxPtr, m).slice(),
    bestScore: new Float64Array(buffer, bestPtr, m).slice(),
  }
  if (options.scores) {
    const all = new Float64Array(m * n)
    const raw = new Float64Array(buffer, scoresPtr, m * n2)
    for (let c = 0; c < m; c++) all.set(raw.subarray(c * n2, c * n2 + n), c * n)
    result.scores = all
  }
  return result
}
