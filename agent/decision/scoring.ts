/**
 * Scores of every (class, path) pair, higher is better, and SLA checks. Built-in preferences
 * are weight vectors for the wasm batch scorer (wasm/score/), so the agent, the benchmark and
 * the scorer's reference all share one formula and one call scores every path of every peer
 * for every class. `custom` classes take their plugin's scores from the paths' input
 * (PathInput.customScores), computed before the evaluation; the engine never runs a plugin,
 * so a slow or broken one cannot stall a decision (agent/scorers). There is deliberately no plain-TypeScript fallback: the wasm module is a build
 * product of the agent like any other, and a silent fallback would hide a broken build
 * (wasm/score/reference.ts stays the specification, tested bit for bit against it).
 */
import type { ClassWeights, PathMetrics, ScoreResult } from '../../wasm/score/score'
import type { PathInput, PathPreference, ScorerInput, Sla, TrafficClass } from './types'

export type BatchScorer = (
  metrics: PathMetrics,
  weights: readonly ClassWeights[],
  options: { scores: true },
) => ScoreResult

/**
 * Weights per preference (score = bw-term + mos-term - latency - jitter - loss - cost terms).
 * lowest-latency: effective delay in ms (jitter counted twice, as a jitter buffer would hold
 * it; 1% loss weighs like 10 ms). highest-bandwidth and load-balance: bw/(bw+100) scaled to
 * 0..1000, less 10 per 1% loss and 0.1 per ms. lowest-cost: 100 per unit of cost per GB, with
 * loss and (barely) latency as tie-breakers.
 */
export const PREFERENCE_WEIGHTS: Record<Exclude<PathPreference, 'custom'>, ClassWeights> = {
  'lowest-latency': { latency: 1, jitter: 2, loss: 1000, bandwidth: 0, cost: 0, mos: 0 },
  'highest-bandwidth': { latency: 0.1, jitter: 0, loss: 1000, bandwidth: 1000, cost: 0, mos: 0 },
  'lowest-cost': { latency: 0.01, jitter: 0, loss: 100, bandwidth: 0, cost: 100, mos: 0 },
  'load-balance': { latency: 0.1, jitter: 0, loss: 1000, bandwidth: 1000, cost: 0, mos: 0 },
}

/**
 * Values scored in place of unmeasured metrics: pessimistic, so a measured path beats an
 * unmeasured one, but finite, so an unmeasured path that is up can still carry traffic.
 */
export const UNMEASURED = { latencyMs: 1000, jitterMs: 100, loss: 0.5, mos: 1 } as const

function finiteOr(value: number | null | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

export function scorerInput(p: PathInput): ScorerInput {
  const loss = finiteOr(p.lossRatio, UNMEASURED.loss)
  return {
    latencyMs: Math.max(0, finiteOr(p.rttMs, UNMEASURED.latencyMs)),
    jitterMs: Math.max(0, finiteOr(p.jitterMs, UNMEASURED.jitterMs)),
    // The batch scorer treats loss >= 1 as unusable; an up path that lost every probe is
    // still a candidate of last resort, so clamp just below 1.
    loss: Math.min(0.999_999, Math.max(0, loss)),
    bandwidthMbps: Math.max(0, finiteOr(p.bandwidthMbps, 0)),
    cost: finiteOr(p.cost, 0),
    mos: finiteOr(p.mos, UNMEASURED.mos),
  }
}

/**
 * The plugin scores of `scorer` for every path, or undefined when any path lacks one (the
 * scorer could not run: its classes fall back to lowest-latency for all paths, never a mix).
 */
function customScoresOf(paths: readonly PathInput[], scorer: string): number[] | undefined {
  const out: number[] = []
  for (const p of paths) {
    const s = p.customScores?.[scorer]
    if (typeof s !== 'number') return undefined
    out.push(s)
  }
  return out
}

/**
 * Scores as an M x N row-major matrix (row = class). Built-in scores are always finite (the
 * inputs are clamped); a custom class takes its plugin's scores when every path has one, with
 * a non-finite score (the plugin refuses the path) as -Infinity, else the lowest-latency
 * scores. So -Infinity in a row marks exactly the paths a plugin refused.
 */
export function scoreAll(
  paths: readonly PathInput[],
  classes: readonly TrafficClass[],
  batch: BatchScorer,
): Float64Array {
  const n = paths.length
  const inputs = paths.map(scorerInput)
  const metrics: PathMetrics = {
    latencyMs: Float64Array.from(inputs, (m) => m.latencyMs),
    jitterMs: Float64Array.from(inputs, (m) => m.jitterMs),
    loss: Float64Array.from(inputs, (m) => m.loss),
    bandwidthMbps: Float64Array.from(inputs, (m) => m.bandwidthMbps),
    cost: Float64Array.from(inputs, (m) => m.cost),
    mos: Float64Array.from(inputs, (m) => m.mos),
  }
  const weights = classes.map((c) =>
    c.preference === 'custom'
      ? PREFERENCE_WEIGHTS['lowest-latency']
      : PREFERENCE_WEIGHTS[c.preference],
  )
  const out = n === 0 ? new Float64Array(0) : batch(metrics, weights, { scores: true }).scores!
  classes.forEach((c, row) => {
    const custom =
      c.preference === 'custom' && c.scorer ? customScoresOf(paths, c.scorer) : undefined
    for (let p = 0; p < n; p++) {
      const s = custom ? custom[p]! : out[row * n + p]!
      out[row * n + p] = Number.isFinite(s) ? s : Number.NEGATIVE_INFINITY
    }
  })
  return out
}

function excess(value: number, limit: number): number {
  if (value <= limit) return 0
  return (value - limit) / (limit > 0 ? limit : 1)
}

/**
 * How far a path is outside the class's SLA: 0 when compliant, else the sum over the limits it
 * breaks of the relative excess ((value - limit) / limit). Unmeasured metrics are not held
 * against the SLA (they are already scored pessimistically).
 */
export function slaExcess(p: PathInput, sla: Sla | undefined): number {
  if (!sla) return 0
  let total = 0
  if (sla.maxLatencyMs !== undefined && typeof p.rttMs === 'number' && Number.isFinite(p.rttMs)) {
    total += excess(p.rttMs, sla.maxLatencyMs)
  }
  if (
    sla.maxJitterMs !== undefined &&
    typeof p.jitterMs === 'number' &&
    Number.isFinite(p.jitterMs)
  ) {
    total += excess(p.jitterMs, sla.maxJitterMs)
  }
  if (
    sla.maxLossPct !== undefined &&
    typeof p.lossRatio === 'number' &&
    Number.isFinite(p.lossRatio)
  ) {
    total += excess(p.lossRatio * 100, sla.maxLossPct)
  }
  return total
}

/** True when `candidate` beats `current` by more than `pct` percent of |current|. */
export function betterBy(candidate: number, current: number, pct: number): boolean {
  if (candidate === Number.NEGATIVE_INFINITY) return false
  if (current === Number.NEGATIVE_INFINITY) return true
  return candidate - current > (pct / 100) * Math.max(Math.abs(current), 1e-9)
}
