/**
 * Replays a trace through the agent's feature module exactly as the agent would see it live:
 * a probe's outcome is fed when it becomes known (reply at send + RTT; a loss when the
 * prober's timeout expires: max(1 s, 4 x smoothed RTT), capped at 10 s, as in
 * agent/probes/quality/stats.ts), BFD transitions at their time, and features are written every
 * `tickMs` (100 ms, the agent's scoring cadence). Each tick gets a label (an event starts
 * within the horizon), an evaluation mask (not inside an event, nor in the grace period
 * after one, where the path is known bad or recovering and reactive logic owns it) and an
 * in-event flag (training leaves those ticks out but keeps the grace period: what follows an
 * outage, e.g. the next flap, is exactly what the model must learn).
 */
import { FEATURE_COUNT, PathFeatureWindow } from '../../agent/predict/features.ts'
import type { BfdTransition, Trace, TraceEvent, TraceProbe } from './format.ts'

export interface ReplayOptions {
  tickMs?: number
  horizonMs?: number
  /** After an event ends, ticks are left out of training and scoring for this long. */
  graceMs?: number
}

export const DEFAULT_TICK_MS = 100
export const DEFAULT_HORIZON_MS = 5_000
export const DEFAULT_GRACE_MS = 5_000

export interface Replay {
  name: string
  tickMs: number
  /** Tick times (ms, the trace's origin). */
  ticks: Float64Array
  /** ticks.length x FEATURE_COUNT, row-major. */
  features: Float32Array
  /** 1 when an event starts in (t, t + horizon]. */
  label: Uint8Array
  /** 1 when the tick is scored (outside events and their grace period). */
  scored: Uint8Array
  /** 1 when the tick is inside an event (left out of training: the path is already bad). */
  inEvent: Uint8Array
  /** 1 when BFD says the path is down at the tick (the reactive baseline's alarm). */
  bfdDown: Uint8Array
  events: TraceEvent[]
}

interface Outcome {
  at: number
  seq: number
  rttMs: number | null
}

/** Outcomes in the order the agent learns them (stable for equal times). */
export function outcomesByKnownTime(probes: readonly TraceProbe[]): Outcome[] {
  const out: Outcome[] = []
  let srtt: number | null = null
  for (const p of probes) {
    if (p.rttMs === null) {
      const timeout = Math.min(10_000, Math.max(1_000, srtt === null ? 0 : 4 * srtt))
      out.push({ at: p.tMs + timeout, seq: p.seq, rttMs: null })
    } else {
      srtt = srtt === null ? p.rttMs : srtt + (p.rttMs - srtt) / 8
      out.push({ at: p.tMs + p.rttMs, seq: p.seq, rttMs: p.rttMs })
    }
  }
  // Array.prototype.sort is stable: equal times keep send order.
  return out.sort((a, b) => a.at - b.at)
}

/**
 * BFD transitions for a trace that has none recorded, from its probes: BFD with a 3x
 * multiplier at the probe interval declares the path down 3 intervals after the first of 3
 * consecutive losses, and up when two consecutive probes come back.
 */
export function deriveBfd(probes: readonly TraceProbe[]): BfdTransition[] {
  const gaps: number[] = []
  for (let i = 1; i < Math.min(probes.length, 201); i++)
    gaps.push(probes[i]!.tMs - probes[i - 1]!.tMs)
  gaps.sort((a, b) => a - b)
  const interval = gaps.length > 0 ? gaps[gaps.length >> 1]! : 50
  const out: BfdTransition[] = []
  let up = true
  let lostRun = 0
  let firstLostAt = 0
  let replyRun = 0
  if (probes.length > 0) out.push({ tMs: probes[0]!.tMs, up: true })
  for (const p of probes) {
    if (p.rttMs === null) {
      if (lostRun === 0) firstLostAt = p.tMs
      lostRun++
      replyRun = 0
      if (up && lostRun === 3) {
        up = false
        out.push({ tMs: firstLostAt + 3 * interval, up: false })
      }
    } else {
      lostRun = 0
      replyRun++
      if (!up && replyRun === 2) {
        up = true
        out.push({ tMs: p.tMs + p.rttMs, up: true })
      }
    }
  }
  // Each transition's time is later than the previous one except in pathological traces.
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.tMs < out[i - 1]!.tMs) out[i]!.tMs = out[i - 1]!.tMs
  }
  return out
}

export function replayTrace(trace: Trace, options: ReplayOptions = {}): Replay {
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS
  const horizonMs = options.horizonMs ?? DEFAULT_HORIZON_MS
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS
  const probes = trace.probes
  const empty = {
    name: trace.name,
    tickMs,
    ticks: new Float64Array(0),
    features: new Float32Array(0),
    label: new Uint8Array(0),
    scored: new Uint8Array(0),
    inEvent: new Uint8Array(0),
    bfdDown: new Uint8Array(0),
    events: trace.events,
  }
  if (probes.length === 0) return empty
  const outcomes = outcomesByKnownTime(probes)
  const bfd = trace.bfd ?? deriveBfd(probes)
  const first = probes[0]!.tMs
  const last = probes.at(-1)!.tMs
  const n = Math.max(0, Math.floor((last - first) / tickMs))
  const ticks = new Float64Array(n)
  const features = new Float32Array(n * FEATURE_COUNT)
  const label = new Uint8Array(n)
  const scored = new Uint8Array(n)
  const inEvent = new Uint8Array(n)
  const bfdDown = new Uint8Array(n)
  const window = new PathFeatureWindow()
  const starts = trace.events.map((e) => e.startMs).sort((a, b) => a - b)
  let oi = 0
  let bi = 0
  let bfdUp = true
  for (let k = 0; k < n; k++) {
    const t = first + (k + 1) * tickMs
    ticks[k] = t
    // BFD and probe outcomes interleave by time, BFD first on ties (its detection is quicker).
    while (true) {
      const nextBfd = bi < bfd.length ? bfd[bi]!.tMs : Number.POSITIVE_INFINITY
      const nextOutcome = oi < outcomes.length ? outcomes[oi]!.at : Number.POSITIVE_INFINITY
      if (nextBfd > t && nextOutcome > t) break
      if (nextBfd <= nextOutcome) {
        const b = bfd[bi++]!
        window.addBfdState(b.tMs, b.up)
        bfdUp = b.up
      } else {
        const o = outcomes[oi++]!
        window.addProbe({ tMs: o.at, seq: o.seq, rttMs: o.rttMs })
      }
    }
    window.writeFeatures(t, features, k * FEATURE_COUNT)
    bfdDown[k] = bfdUp ? 0 : 1
    label[k] = startsWithin(starts, t, t + horizonMs) ? 1 : 0
    scored[k] = trace.events.some((e) => t >= e.startMs && t < e.endMs + graceMs) ? 0 : 1
    inEvent[k] = trace.events.some((e) => t >= e.startMs && t < e.endMs) ? 1 : 0
  }
  return {
    name: trace.name,
    tickMs,
    ticks,
    features,
    label,
    scored,
    inEvent,
    bfdDown,
    events: trace.events,
  }
}

/** Whether some start lies in (from, to]; starts sorted ascending. */
function startsWithin(starts: readonly number[], from: number, to: number): boolean {
  let lo = 0
  let hi = starts.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (starts[mid]! <= from) lo = mid + 1
    else hi = mid
  }
  return lo < starts.length && starts[lo]! <= to
}
