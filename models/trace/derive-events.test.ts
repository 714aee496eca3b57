import { describe, expect, it } from 'vitest'
import { deriveEvents } from './derive-events'
import type { TraceProbe } from './format'

const probes = (seconds: number, f: (tMs: number) => number | null): TraceProbe[] =>
  Array.from({ length: seconds * 20 }, (_, i) => ({ tMs: i * 50, seq: i + 1, rttMs: f(i * 50) }))

describe('labels derived from probes', () => {
  it('finds nothing on a clean path', () => {
    expect(deriveEvents(probes(60, () => 20))).toEqual([])
  })

  it('labels an outage a failure, and not also an SLA violation', () => {
    const events = deriveEvents(probes(60, (t) => (t >= 20_000 && t < 30_000 ? null : 20)))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ kind: 'failure', cause: 'unknown' })
    // Half the 1 s window must be lost first.
    expect(events[0]!.startMs).toBeGreaterThanOrEqual(20_400)
    expect(events[0]!.startMs).toBeLessThanOrEqual(20_700)
  })

  it('labels a latency excursion past 250 ms an SLA violation', () => {
    const events = deriveEvents(probes(60, (t) => (t >= 20_000 && t < 30_000 ? 300 : 20)))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ kind: 'sla' })
    expect(events[0]!.endMs).toBeGreaterThan(29_000)
  })

  it('keeps a brownout one event even when its loss dips', () => {
    // 30% loss for 20 s, deterministic pattern with a quieter second in the middle.
    const events = deriveEvents(
      probes(60, (t) => {
        const lossy = t >= 20_000 && t < 40_000 && !(t >= 29_000 && t < 30_000)
        return lossy && (t / 50) % 10 < 3 ? null : 20
      }),
    )
    expect(events.filter((e) => e.kind === 'sla')).toHaveLength(1)
  })
})
