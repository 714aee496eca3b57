/**
 * Scoring a set of paths with a plugin, for `custom` policies: the plugin scores each usable
 * path (the same usability rule as the built-in scorer) and the best finite score wins, ties to
 * the lowest index. Plugins are called once per path, so this is for tens of paths per decision,
 * not the batch hot loop of wasm/score/.
 */
import { pathUsable } from '../score/reference.js'
import type { PathMetrics } from '../score/score.js'
import type { ScorerPlugin } from './loader.js'

export interface PluginChoice {
  /** Best path index, -1 when no usable path got a finite score. */
  bestPath: number
  /** Score per path; NaN for paths that are unusable and were not scored. */
  scores: Float64Array
}

export function choosePathWithPlugin(plugin: ScorerPlugin, metrics: PathMetrics): PluginChoice {
  const n = metrics.latencyMs.length
  const scores = new Float64Array(n).fill(Number.NaN)
  let bestPath = -1
  let best = Number.NEGATIVE_INFINITY
  for (let p = 0; p < n; p++) {
    if (!pathUsable(metrics, p)) continue
    const s = plugin.score({
      latencyMs: metrics.latencyMs[p]!,
      jitterMs: metrics.jitterMs[p]!,
      loss: metrics.loss[p]!,
      bandwidthMbps: metrics.bandwidthMbps[p]!,
      cost: metrics.cost[p]!,
      mos: metrics.mos[p]!,
    })
    scores[p] = s
    if (Number.isFinite(s) && s > best) {
      best = s
      bestPath = p
    }
  }
  return { bestPath, scores }
}
