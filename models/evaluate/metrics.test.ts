import { describe, expect, it } from 'vitest'
import type { TraceEvent } from '../trace/format'
import { averagePrecision, evaluate, type ScoredTrace } from './metrics'

/** A 100 ms-tick trace of `seconds`, scores set per tick by `score(tMs)`. */
function trace(seconds: number, events: TraceEvent[], score: (t: number) => number): ScoredTrace {
  const n = seconds * 10
  const ticks = Float64Array.from({ length: n }, (_, k) => (k + 1) * 100)
  const scores = Float32Array.from(ticks, score)
  const label = Uint8Array.from(ticks, (t) =>
    events.some((e) => e.startMs > t && e.startMs <= t + 5_000) ? 1 : 0,
  )
  const scored = Uint8Array.from(ticks, (t) =>
    events.some((e) => t >= e.startMs && t < e.endMs + 5_000) ? 0 : 1,
  )
  return { ticks, tickMs: 100, scores, label, scored, events }
}

const failure = (startMs: number, cause: 'precursor' | 'abrupt' = 'precursor'): TraceEvent => ({
  startMs,
  endMs: startMs + 10_000,
  kind: 'failure',
  cause,
})

describe('predictor metrics', () => {
  it('measures the lead from the start of the alarm episode before the failure', () => {
    const tr = trace(100, [failure(50_000)], (t) => (t >= 47_000 && t < 60_000 ? 0.9 : 0.1))
    const m = evaluate([tr], { threshold: 0.5, horizonMs: 5_000 })
    expect(m.recall).toBe(1)
    expect(m.recallPrecursor).toBe(1)
    expect(m.medianLeadS).toBeCloseTo(3, 5)
    expect(m.falseAlarms).toBe(0)
    expect(m.precision).toBe(1)
  })

  it('counts a late alarm as detection but not as prediction, and a lone alarm as false', () => {
    const tr = trace(3_600, [failure(50_000, 'abrupt')], (t) =>
      (t >= 50_300 && t < 55_000) || (t >= 1_000_000 && t < 1_001_000) ? 0.9 : 0,
    )
    const m = evaluate([tr], { threshold: 0.5, horizonMs: 5_000 })
    expect(m.recall).toBe(0)
    expect(m.recallAbrupt).toBe(0)
    expect(m.medianDetectionS).toBeCloseTo(-0.3, 5)
    expect(m.falseAlarms).toBe(1)
    // The alarm inside the event is not an episode: only the lone one is.
    expect(m.episodes).toBe(1)
    expect(m.falseAlarmsPerPathHour).toBeCloseTo(1 / m.pathHours, 5)
  })

  it('merges alarms closer than the gap into one episode', () => {
    const tr = trace(100, [], (t) => (t % 1_000 < 200 && t > 10_000 && t < 20_000 ? 1 : 0))
    expect(evaluate([tr], { threshold: 0.5, horizonMs: 5_000 }).episodes).toBe(1)
    expect(evaluate([tr], { threshold: 0.5, horizonMs: 5_000, mergeGapMs: 500 }).episodes).toBe(10)
  })

  it('gives PR-AUC 1 to a perfect ranking and the base rate to a constant score', () => {
    const events = [failure(30_000), failure(70_000)]
    const perfect = trace(100, events, (t) =>
      events.some((e) => e.startMs > t && e.startMs <= t + 5_000) ? 1 : 0,
    )
    expect(averagePrecision([perfect])).toBeCloseTo(1, 6)
    const flat = trace(100, events, () => 0.5)
    const scoredLabels = [...flat.label].filter((_, k) => flat.scored[k])
    const rate = scoredLabels.filter((v) => v === 1).length / scoredLabels.length
    expect(averagePrecision([flat])).toBeCloseTo(rate, 6)
  })
})
