import { describe, expect, it } from 'vitest'
import type { TraceEvent } from '../trace/format'
import type { ScoredTrace } from './metrics'
import { queueRampTrace, RAMP_MS, RAMP_TOP_MS, WARMUP_MS, warmupMetrics } from './warmup'

const failure = (startMs: number): TraceEvent => ({
  startMs,
  endMs: startMs + 10_000,
  kind: 'failure',
  cause: 'precursor',
})

/** 300 s of 100 ms ticks, alarms in [from, to) of each given pair. */
function scoredTrace(events: TraceEvent[], alarms: [number, number][]): ScoredTrace {
  const ticks = Float64Array.from({ length: 3_000 }, (_, k) => (k + 1) * 100)
  return {
    ticks,
    tickMs: 100,
    scores: Float32Array.from(ticks, (t) => (alarms.some(([a, b]) => t >= a && t < b) ? 1 : 0)),
    label: new Uint8Array(ticks.length),
    scored: new Uint8Array(ticks.length).fill(1),
    events,
  }
}

describe('warm-up metrics', () => {
  it('counts only the events that start in the first minute', () => {
    // Early failure at 20 s missed, late one at 200 s predicted: warm-up recall 0, not 0.5.
    const tr = scoredTrace([failure(20_000), failure(200_000)], [[197_000, 201_000]])
    const m = warmupMetrics([tr], { threshold: 0.5, horizonMs: 5_000 })
    expect(m.precursorFailures).toBe(1)
    expect(m.recallPrecursor).toBe(0)
    const hit = scoredTrace([failure(20_000), failure(200_000)], [[17_000, 21_000]])
    const h = warmupMetrics([hit], { threshold: 0.5, horizonMs: 5_000 })
    expect(h.recallPrecursor).toBe(1)
    expect(h.medianLeadS).toBeCloseTo(3, 5)
    expect(WARMUP_MS).toBe(60_000)
  })

  it('builds the queue ramp where asked: flat, rising to the top, then cut', () => {
    const tr = queueRampTrace(10_000)
    const rtt = (t: number) => tr.probes.find((p) => p.tMs === t)!.rttMs
    expect(rtt(5_000)!).toBeLessThan(40)
    expect(rtt(10_000 + RAMP_MS - 50)!).toBeGreaterThan(RAMP_TOP_MS - 60)
    expect(rtt(10_000 + RAMP_MS)).toBeNull()
    expect(tr.events).toEqual([
      {
        startMs: 10_000 + RAMP_MS,
        endMs: 10_000 + RAMP_MS + 5_000,
        kind: 'failure',
        cause: 'precursor',
      },
    ])
  })
})
