/**
 * Labels for a trace that came without an events file (an operator's own capture), derived
 * from its probes with the generator's rules applied to what was measured: failure while the
 * loss over the last 1 s of probes is >= 50%; SLA violation while the median RTT over the last
 * 1 s exceeds 250 ms or the loss over the last 5 s is >= 10%. Cause is `unknown`: the probes
 * alone cannot say whether anything announced the event, so only overall recall is reported.
 */
import { FAILURE_LOSS, SLA_LOSS, SLA_RTT_MS } from '../generate/generator.ts'
import type { TraceEvent, TraceProbe } from './format.ts'

const STEP_MS = 100
/** Bad stretches closer than this are one event (a 30% brownout dips under 10% at times). */
const MERGE_MS = 3_000

export function deriveEvents(probes: readonly TraceProbe[]): TraceEvent[] {
  if (probes.length === 0) return []
  const first = probes[0]!.tMs
  const last = probes.at(-1)!.tMs
  const failures: TraceEvent[] = []
  const slas: TraceEvent[] = []
  let a1 = 0
  let a5 = 0
  let b = 0
  for (let t = first + 1_000; t <= last; t += STEP_MS) {
    while (b < probes.length && probes[b]!.tMs <= t) b++
    while (a1 < b && probes[a1]!.tMs <= t - 1_000) a1++
    while (a5 < b && probes[a5]!.tMs <= t - 5_000) a5++
    const win1 = probes.slice(a1, b)
    const lost1 = win1.filter((p) => p.rttMs === null).length
    const lost5 = probes.slice(a5, b).filter((p) => p.rttMs === null).length
    const rtts = win1.flatMap((p) => (p.rttMs === null ? [] : [p.rttMs])).sort((x, y) => x - y)
    const median = rtts.length === 0 ? 0 : rtts[rtts.length >> 1]!
    const failing = win1.length > 0 && lost1 / win1.length >= FAILURE_LOSS
    const violating = median > SLA_RTT_MS || (b > a5 && lost5 / (b - a5) >= SLA_LOSS)
    if (failing) extend(failures, t)
    if (violating && !failing) extend(slas, t)
  }
  // An SLA violation that starts with a failure, or in its tail (the 5 s loss window still
  // holds the outage), is that failure; one that starts before it is its precursor and stays.
  const events = [
    ...failures,
    ...slas.filter(
      (s) =>
        !failures.some((f) => s.startMs >= f.startMs - MERGE_MS && s.startMs <= f.endMs + 5_000),
    ),
  ]
  return events.sort((x, y) => x.startMs - y.startMs)

  function extend(list: TraceEvent[], t: number): void {
    const kind = list === failures ? 'failure' : 'sla'
    const prev = list.at(-1)
    if (prev && t - prev.endMs <= MERGE_MS) prev.endMs = t + STEP_MS
    else list.push({ startMs: t, endMs: t + STEP_MS, kind, cause: 'unknown' })
  }
}
