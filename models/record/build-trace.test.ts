import { describe, expect, it } from 'vitest'
import { buildTrace, type Collected } from './build-trace'
import type { Scenario } from './scenarios'

const scenario: Scenario = {
  name: 'cut',
  durationMs: 20_000,
  steps: [],
  failure: { startMs: 10_000, endMs: 15_000, cause: 'abrupt' },
  slaCause: 'abrupt',
}

describe('lab recorder trace building', () => {
  it('keeps the scenario window, marks missing and too-late replies lost, keeps BFD state', () => {
    const t0 = 1_000_000
    const c: Collected = { sends: new Map(), replies: new Map(), bfd: [] }
    for (let seq = 1; seq <= 500; seq++) {
      const sentAt = t0 - 1_000 + seq * 50
      c.sends.set(seq, sentAt)
      const inOutage = sentAt >= t0 + 10_000 && sentAt < t0 + 15_000
      if (!inOutage && seq !== 100) c.replies.set(seq, sentAt + 20.5)
    }
    c.replies.set(100, c.sends.get(100)! + 11_000)
    c.bfd.push(
      { at: t0 - 5_000, up: true },
      { at: t0 + 10_150, up: false },
      { at: t0 + 15_100, up: true },
    )
    const trace = buildTrace(scenario, t0, c)
    expect(trace.probes[0]).toEqual({ tMs: 0, seq: 20, rttMs: 20.5 })
    expect(trace.probes.every((p) => p.tMs >= 0 && p.tMs < 20_000)).toBe(true)
    expect(trace.probes.find((p) => p.seq === 100)?.rttMs).toBeNull()
    const lost = trace.probes.filter((p) => p.rttMs === null).length
    expect(lost).toBe(1 + 100)
    expect(trace.bfd).toEqual([
      { tMs: 0, up: true },
      { tMs: 10_150, up: false },
      { tMs: 15_100, up: true },
    ])
    // The outage is the scripted failure; the probes' view of it is not a second event.
    expect(trace.events).toEqual([
      { startMs: 10_000, endMs: 15_000, kind: 'failure', cause: 'abrupt' },
    ])
  })
})

describe('lab recorder SLA labels', () => {
  it('keeps a violation that leads into the outage, ending it where the failure starts', () => {
    const t0 = 0
    const c: Collected = { sends: new Map(), replies: new Map(), bfd: [] }
    for (let seq = 1; seq <= 400; seq++) {
      const sentAt = seq * 50
      c.sends.set(seq, sentAt)
      // RTT over the SLA from 6 s on, then the outage at 10 s.
      if (sentAt < 10_000 || sentAt >= 15_000)
        c.replies.set(seq, sentAt + (sentAt >= 6_000 && sentAt < 10_000 ? 400 : 20))
    }
    const trace = buildTrace({ ...scenario, slaCause: 'precursor' }, t0, c)
    const sla = trace.events.filter((e) => e.kind === 'sla')
    expect(sla).toHaveLength(1)
    expect(sla[0]!.cause).toBe('precursor')
    expect(sla[0]!.startMs).toBeGreaterThan(6_000)
    expect(sla[0]!.startMs).toBeLessThan(7_200)
    expect(sla[0]!.endMs).toBe(10_000)
  })
})
