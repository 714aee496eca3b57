/**
 * The two baselines `bench:predict` compares the model with, scored on the same replays:
 * reactive (BFD: an alarm only while BFD has the path down, so never before a failure) and
 * fixed thresholds (1 s mean RTT > 100 ms or 10 s loss > 5%, the rules of thumb SD-WAN SLA
 * probes ship with). Both read the agent's own feature vector so they see what the model sees.
 */
import { FEATURE_COUNT, FEATURE_NAMES } from '../../agent/predict/features.ts'
import type { Replay } from '../trace/replay.ts'
import type { ScoredTrace } from './metrics.ts'

const RTT_1S = FEATURE_NAMES.indexOf('rtt_mean_1s')
const LOSS_10S = FEATURE_NAMES.indexOf('loss_ratio_10s')
const REPLIES_1S = FEATURE_NAMES.indexOf('replies_1s')

/** Inverse of the feature module's log scale for RTTs (exact below its 1 s clamp). */
const unscaleMs = (v: number) => Math.expm1(v * Math.log1p(1_000))

export const THRESHOLD_RTT_MS = 100
export const THRESHOLD_LOSS = 0.05

const asScored = (r: Replay, scores: Uint8Array): ScoredTrace => ({
  ticks: r.ticks,
  tickMs: r.tickMs,
  scores,
  label: r.label,
  scored: r.scored,
  events: r.events,
})

export function reactiveBaseline(r: Replay): ScoredTrace {
  return asScored(r, r.bfdDown)
}

export function thresholdBaseline(r: Replay): ScoredTrace {
  const n = r.ticks.length
  const alarm = new Uint8Array(n)
  for (let k = 0; k < n; k++) {
    const row = k * FEATURE_COUNT
    const hasRtt = r.features[row + REPLIES_1S]! > 0
    const rtt = unscaleMs(r.features[row + RTT_1S]!)
    const loss = r.features[row + LOSS_10S]!
    alarm[k] = (hasRtt && rtt > THRESHOLD_RTT_MS) || loss > THRESHOLD_LOSS ? 1 : 0
  }
  return asScored(r, alarm)
}
