/**
 * The path score in plain TypeScript, one path at a time: the specification the wasm batch
 * scorer is tested against (same formula, same operation order, same tie rule) and the plain
 * baseline of the benchmark. See wasm/score/score.ts for the formula.
 */
import type { ClassWeights, PathMetrics, ScoreResult } from './score.js'

export function pathUsable(m: PathMetrics, p: number): boolean {
  const lat = m.latencyMs[p]!
  const loss = m.loss[p]!
  const bw = m.bandwidthMbps[p]!
  return (
    Number.isFinite(lat) &&
    lat >= 0 &&
    Number.isFinite(m.jitterMs[p]!) &&
    loss >= 0 &&
    loss < 1 &&
    Number.isFinite(bw) &&
    bw >= 0 &&
    Number.isFinite(m.cost[p]!) &&
    Number.isFinite(m.mos[p]!)
  )
}

export function referenceScore(m: PathMetrics, p: number, w: ClassWeights): number {
  const bw = m.bandwidthMbps[p]!
  const bwTerm = pathUsable(m, p) ? bw / (bw + 100) : 0
  return (
    w.bandwidth * bwTerm +
    w.mos * m.mos[p]! -
    w.latency * m.latencyMs[p]! -
    w.jitter * m.jitterMs[p]! -
    w.loss * m.loss[p]! -
    w.cost * m.cost[p]!
  )
}

export function referenceScorePaths(
  metrics: PathMetrics,
  classes: readonly ClassWeights[],
): ScoreResult {
  const n = metrics.latencyMs.length
  const bestPath = new Int32Array(classes.length).fill(-1)
  const bestScore = new Float64Array(classes.length).fill(Number.NEGATIVE_INFINITY)
  const scores = new Float64Array(classes.length * n)
  classes.forEach((w, c) => {
    for (let p = 0; p < n; p++) {
      const s = referenceScore(metrics, p, w)
      scores[c * n + p] = s
      if (pathUsable(metrics, p) && s > bestScore[c]!) {
        bestScore[c] = s
        bestPath[c] = p
      }
    }
  })
  return { bestPath, bestScore, scores }
}
