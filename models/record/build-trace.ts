/**
 * Turns what the lab recorder collected (probe sends and replies by sequence, BFD state
 * changes, all in epoch ms) into one scenario's trace: probe times relative to the scenario's
 * start, a reply later than the prober's longest timeout counted lost, BFD transitions with
 * the state at the start, the scripted outage as the failure event and SLA violations found
 * in the probes (derive-events.ts) with the scenario's cause.
 */
import { deriveEvents } from '../trace/derive-events.ts'
import type { BfdTransition, Trace, TraceEvent, TraceProbe } from '../trace/format.ts'
import type { Scenario } from './scenarios.ts'

/** The prober's longest timeout: a reply later than this was a loss to the agent. */
export const MAX_RTT_MS = 10_000

export interface Collected {
  sends: Map<number, number>
  replies: Map<number, number>
  bfd: { at: number; up: boolean }[]
}

export function buildTrace(s: Scenario, t0: number, c: Collected): Trace {
  const probes: TraceProbe[] = []
  for (const [seq, sentAt] of [...c.sends].sort((a, b) => a[1] - b[1])) {
    if (sentAt < t0 || sentAt >= t0 + s.durationMs) continue
    const reply = c.replies.get(seq)
    const rtt = reply === undefined ? null : reply - sentAt
    probes.push({
      tMs: Math.round((sentAt - t0) * 1000) / 1000,
      seq,
      rttMs: rtt === null || rtt > MAX_RTT_MS ? null : Math.round(rtt * 1000) / 1000,
    })
  }
  const before = c.bfd.filter((b) => b.at < t0).at(-1)
  const bfd: BfdTransition[] = [{ tMs: 0, up: before?.up ?? false }]
  for (const b of c.bfd) {
    if (b.at >= t0 && b.at < t0 + s.durationMs) bfd.push({ tMs: Math.round(b.at - t0), up: b.up })
  }
  const events: TraceEvent[] = []
  if (s.failure) events.push({ ...s.failure, kind: 'failure' })
  for (const e of deriveEvents(probes)) {
    // With a scripted outage the script says when the failure was; without one, a failure
    // found in the probes (a brownout past 50% round-trip loss) is kept as found.
    if (e.kind !== 'sla' && s.failure) continue
    const f = s.failure
    if (f && e.startMs >= f.startMs - 500 && e.startMs < f.endMs + 2_000) {
      // Starting with the outage (or its tail): the probes only show the outage itself.
      continue
    }
    // A violation leading into the outage (the precursor) ends where the failure begins.
    const endMs = f && e.startMs < f.startMs ? Math.min(e.endMs, f.startMs) : e.endMs
    events.push({ ...e, endMs, cause: s.slaCause })
  }
  events.sort((a, b) => a.startMs - b.startMs)
  return { name: s.name, probes, events, bfd }
}
