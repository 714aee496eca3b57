/**
 * Warm-up: how the predictor does while a path's feature windows are still filling (the first
 * minute after the agent or the path starts). Two measurements:
 *
 * - `warmupMetrics`: the event metrics restricted to events that start within WARMUP_MS of
 *   their trace's first tick (the generator puts a share of first incidents there). Only the
 *   recall figures are meaningful: alarm episodes that announced a later event count as false
 *   here, so read precision and false alarms from the full metrics.
 * - `queueRampTrace`: one queue build-up placed at a chosen time after start (the lab's
 *   precursor: RTT from 30 ms to 270 ms in 6 s, then a cut), to score the same ramp cold
 *   and warm.
 */

import { createRng } from '../generate/rng.ts'
import type { Trace, TraceProbe } from '../trace/format.ts'
import { type EvalOptions, evaluate, type Metrics, type ScoredTrace } from './metrics.ts'

/** The longest feature window: until it is full the path is warming up. */
export const WARMUP_MS = 60_000

export function warmupMetrics(traces: readonly ScoredTrace[], options: EvalOptions): Metrics {
  const early = traces.map((t) => {
    const first = t.ticks.length > 0 ? t.ticks[0]! - t.tickMs : 0
    return { ...t, events: t.events.filter((e) => e.startMs - first < WARMUP_MS) }
  })
  return evaluate(early, options)
}

export const RAMP_BASE_MS = 30
export const RAMP_TOP_MS = 270
export const RAMP_MS = 6_000

/**
 * Probes every 50 ms: RAMP_BASE_MS with 1 ms jitter until atMs, then a convex queue build-up
 * to RAMP_TOP_MS over RAMP_MS (jitter growing with the queue), then every probe lost for 5 s:
 * a failure, cause precursor, at atMs + RAMP_MS.
 */
export function queueRampTrace(atMs: number, seed = 7): Trace {
  const rng = createRng(seed)
  const probes: TraceProbe[] = []
  const cutAt = atMs + RAMP_MS
  const end = cutAt + 5_000
  for (let t = 0, seq = 1; t < end; t += 50, seq++) {
    const extra =
      t < atMs ? 0 : (RAMP_TOP_MS - RAMP_BASE_MS) * Math.min(1, (t - atMs) / RAMP_MS) ** 1.5
    const rtt = RAMP_BASE_MS + extra + rng.normal() * (1 + 0.08 * extra)
    probes.push({ tMs: t, seq, rttMs: t >= cutAt ? null : Math.round(rtt * 1000) / 1000 })
  }
  return {
    name: `queue-ramp-at-${atMs}`,
    probes,
    events: [{ startMs: cutAt, endMs: end, kind: 'failure', cause: 'precursor' }],
    bfd: null,
  }
}
