/**
 * Event-level scoring of a failure predictor (or a baseline) over replayed traces, the one
 * definition used by training (threshold choice on validation), the model card and
 * `npm run bench:predict`. Definitions (README "Metrics"):
 *
 * - An alarm is a tick whose score is >= the threshold. Alarm ticks less than `mergeGapMs`
 *   apart form one alarm episode (the path selector's hold-down makes them one move).
 * - Detection of an event starting at s: the first alarm tick in [s - horizon, s + after];
 *   its lead is s minus the start of the episode it belongs to (negative: detected late, as
 *   reactive BFD always is). The event is *predicted* when the lead is > 0.
 * - recall = predicted / events; recallPrecursor on failure events with cause precursor.
 * - An episode on scored ticks (outside events and their grace period) is true when an event
 *   starts within [episode start, episode end + horizon], else a false alarm;
 *   precision = true episodes / episodes; false alarms per path-hour over the scored time.
 * - PR-AUC: average precision of the per-tick scores against the per-tick labels (an event
 *   starts within the horizon), over scored ticks.
 */
import type { TraceEvent } from '../trace/format.ts'

export interface ScoredTrace {
  ticks: Float64Array
  tickMs: number
  scores: Float32Array | Uint8Array
  label: Uint8Array
  scored: Uint8Array
  events: readonly TraceEvent[]
}

export interface EvalOptions {
  threshold: number
  horizonMs: number
  /** How long after an event's start an alarm still counts as (late) detection. */
  afterMs?: number
  mergeGapMs?: number
  /** PR-AUC sorts every scored tick: skip it inside threshold searches. */
  withPrAuc?: boolean
}

export interface Metrics {
  threshold: number
  precision: number | null
  recall: number | null
  recallPrecursor: number | null
  recallAbrupt: number | null
  /** Median lead (s) over predicted precursor failures. */
  medianLeadS: number | null
  /** Median lead (s) over every event detected in [s - horizon, s + after]; < 0 is late. */
  medianDetectionS: number | null
  falseAlarmsPerPathHour: number
  prAuc: number | null
  events: number
  precursorFailures: number
  predicted: number
  predictedPrecursor: number
  episodes: number
  falseAlarms: number
  pathHours: number
}

const median = (v: number[]): number | null => {
  if (v.length === 0) return null
  const s = [...v].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const isPrecursorFailure = (e: TraceEvent) => e.kind === 'failure' && e.cause === 'precursor'

export function evaluate(traces: readonly ScoredTrace[], options: EvalOptions): Metrics {
  const { threshold, horizonMs } = options
  const afterMs = options.afterMs ?? 5_000
  const mergeGapMs = options.mergeGapMs ?? 2_000
  let events = 0
  let precursorFailures = 0
  let abrupt = 0
  let predicted = 0
  let predictedPrecursor = 0
  let predictedAbrupt = 0
  let episodes = 0
  let falseAlarms = 0
  let scoredTicks = 0
  const leads: number[] = []
  const detections: number[] = []

  for (const tr of traces) {
    const n = tr.ticks.length
    const starts = tr.events.map((e) => e.startMs).sort((a, b) => a - b)
    // Episode start for every alarm tick (all ticks, for detection).
    const episodeStart = new Float64Array(n).fill(Number.NaN)
    let lastAlarm = Number.NEGATIVE_INFINITY
    let current = Number.NaN
    for (let k = 0; k < n; k++) {
      if (tr.scores[k]! < threshold) continue
      const t = tr.ticks[k]!
      if (t - lastAlarm > mergeGapMs) current = t
      episodeStart[k] = current
      lastAlarm = t
    }
    for (const e of tr.events) {
      events++
      const precursor = isPrecursorFailure(e)
      if (precursor) precursorFailures++
      if (e.cause === 'abrupt') abrupt++
      const from = e.startMs - horizonMs
      const to = e.startMs + afterMs
      let k = lowerBound(tr.ticks, from)
      while (k < n && tr.ticks[k]! <= to && Number.isNaN(episodeStart[k]!)) k++
      if (k >= n || tr.ticks[k]! > to) continue
      const lead = e.startMs - episodeStart[k]!
      detections.push(lead / 1000)
      if (tr.ticks[k]! < e.startMs) {
        predicted++
        if (precursor) {
          predictedPrecursor++
          leads.push(lead / 1000)
        }
        if (e.cause === 'abrupt') predictedAbrupt++
      }
    }
    // Episodes on scored ticks only.
    let epStart = Number.NaN
    let epEnd = Number.NaN
    const close = () => {
      if (Number.isNaN(epStart)) return
      episodes++
      const k = lowerBound(starts, epStart)
      if (!(k < starts.length && starts[k]! <= epEnd + horizonMs)) falseAlarms++
    }
    for (let k = 0; k < n; k++) {
      if (!tr.scored[k]) continue
      scoredTicks++
      if (tr.scores[k]! < threshold) continue
      const t = tr.ticks[k]!
      if (!Number.isNaN(epEnd) && t - epEnd <= mergeGapMs) {
        epEnd = t
      } else {
        close()
        epStart = t
        epEnd = t
      }
    }
    close()
  }
  const pathHours = (scoredTicks * (traces[0]?.tickMs ?? 100)) / 3_600_000
  return {
    threshold,
    precision: episodes === 0 ? null : (episodes - falseAlarms) / episodes,
    recall: events === 0 ? null : predicted / events,
    recallPrecursor: precursorFailures === 0 ? null : predictedPrecursor / precursorFailures,
    recallAbrupt: abrupt === 0 ? null : predictedAbrupt / abrupt,
    medianLeadS: median(leads),
    medianDetectionS: median(detections),
    falseAlarmsPerPathHour: pathHours === 0 ? 0 : falseAlarms / pathHours,
    prAuc: options.withPrAuc === false ? null : averagePrecision(traces),
    events,
    precursorFailures,
    predicted,
    predictedPrecursor,
    episodes,
    falseAlarms,
    pathHours,
  }
}

/** First index with a[i] >= x (a ascending). */
function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (a[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Average precision over scored ticks; tied scores are one step (fair to 0/1 baselines). */
export function averagePrecision(traces: readonly ScoredTrace[]): number | null {
  let total = 0
  for (const tr of traces) for (let k = 0; k < tr.ticks.length; k++) if (tr.scored[k]) total++
  const scores = new Float64Array(total)
  const labels = new Uint8Array(total)
  let i = 0
  let positives = 0
  for (const tr of traces) {
    for (let k = 0; k < tr.ticks.length; k++) {
      if (!tr.scored[k]) continue
      scores[i] = tr.scores[k]!
      labels[i] = tr.label[k]!
      positives += tr.label[k]!
      i++
    }
  }
  if (positives === 0) return null
  const order = Uint32Array.from({ length: total }, (_, j) => j).sort(
    (a, b) => scores[b]! - scores[a]!,
  )
  let tp = 0
  let seen = 0
  let ap = 0
  let prevRecall = 0
  for (let j = 0; j < total; ) {
    const s = scores[order[j]!]!
    while (j < total && scores[order[j]!]! === s) {
      tp += labels[order[j]!]!
      seen++
      j++
    }
    const recall = tp / positives
    ap += (recall - prevRecall) * (tp / seen)
    prevRecall = recall
  }
  return ap
}

/**
 * The alarm threshold: the lowest that keeps false alarms per path-hour at or under `maxFa`
 * on the given (validation) traces, searched over score quantiles. Lowest, because recall
 * only falls as the threshold rises.
 */
export function pickThreshold(
  traces: readonly ScoredTrace[],
  horizonMs: number,
  maxFa: number,
): Metrics {
  const sample: number[] = []
  for (const tr of traces) {
    for (let k = 0; k < tr.ticks.length; k += 7) if (tr.scored[k]) sample.push(tr.scores[k]!)
  }
  sample.sort((a, b) => a - b)
  const candidates = new Set<number>()
  for (let q = 0.5; q < 1; q += 0.0025) candidates.add(sample[Math.floor(q * sample.length)] ?? 1)
  for (let t = 0.05; t < 1; t += 0.01) candidates.add(Math.round(t * 100) / 100)
  for (const t of [0.991, 0.993, 0.995, 0.997, 0.998, 0.999, 0.9995]) candidates.add(t)
  let best: Metrics | null = null
  for (const threshold of [...candidates].sort((a, b) => a - b)) {
    if (!(threshold > 0)) continue
    const m = evaluate(traces, { threshold, horizonMs, withPrAuc: false })
    if (m.falseAlarmsPerPathHour <= maxFa) {
      best = m
      break
    }
  }
  return evaluate(traces, { threshold: best?.threshold ?? 1, horizonMs })
}
