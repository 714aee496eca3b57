import { describe, expect, it } from 'vitest'
import { clampTelemetry, MAX_AGE_MS, MAX_AHEAD_MS, placeAgentTime } from './agent-time'

const NOW = Date.UTC(2030, 5, 1)
const path = { peerSiteId: 'site_b', localSlot: 0, remoteSlot: 0 }
const sample = (at: number) => ({
  at,
  path,
  state: 'up' as const,
  rttMs: 1,
  jitterMs: 1,
  lossPct: 0,
  mos: 4,
})

describe('agent timestamps', () => {
  it('keeps the window, clamps the future to now, marks the too old', () => {
    expect(placeAgentTime(NOW - 1000, NOW)).toEqual({ outcome: 'kept', at: NOW - 1000 })
    expect(placeAgentTime(NOW + MAX_AHEAD_MS, NOW)).toEqual({
      outcome: 'kept',
      at: NOW + MAX_AHEAD_MS,
    })
    expect(placeAgentTime(Date.UTC(2100, 0, 1), NOW)).toEqual({ outcome: 'clamped', at: NOW })
    expect(placeAgentTime(0, NOW)).toEqual({ outcome: 'too-old', at: NOW - MAX_AGE_MS })
  })

  it('drops samples and traffic older than retention; clamps future since and at', () => {
    const { batch, adjustments } = clampTelemetry(
      {
        samples: [sample(NOW - 1000), sample(Date.UTC(2100, 0, 1)), sample(NOW - MAX_AGE_MS - 1)],
        activePaths: [
          { class: 'default', path, reason: 'x', since: 0 },
          { class: 'voice', path, reason: 'x', since: Date.UTC(2100, 0, 1) },
        ],
        traffic: { at: 1, classes: [], applications: [] },
      },
      NOW,
    )
    expect(batch.samples.map((s) => s.at)).toEqual([NOW - 1000, NOW])
    // An old `since` is a long-lived choice, not a wrong clock.
    expect(batch.activePaths.map((a) => a.since)).toEqual([0, NOW])
    expect(batch.traffic).toBeUndefined()
    expect(adjustments).toEqual({ clamped: 2, dropped: 2 })
  })
})
