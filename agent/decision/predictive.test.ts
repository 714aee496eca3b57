/**
 * Predictive moves in the path selector, on a fake clock: a class that opts in
 * leaves a path the predictor flags before it fails, with the hold-down and hysteresis of
 * reactive failover, and comes back only once the path is clean (no flag and no reactive
 * fault for failbackAfterMs). Classes that do not opt in never move on a prediction.
 */
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../clock/fake'
import { classesFromDesiredState } from './classes'
import { PathSelector } from './selector'
import type { DecisionEvent, FailoverSettings, PathInput, TrafficClass } from './types'

const PEER = 'site-b'
const T0 = Date.UTC(2026, 0, 1)
const SETTINGS: FailoverSettings = { holdDownMs: 1000, failbackAfterMs: 10_000, hysteresisPct: 10 }
const VOICE: TrafficClass = {
  id: 'voice',
  name: 'voice',
  preference: 'lowest-latency',
  sla: { maxLatencyMs: 150 },
  predictive: true,
}
const BULK: TrafficClass = { id: 'bulk', name: 'bulk', preference: 'lowest-latency' }

function path(localSlot: number, rttMs: number, predicted = false, up = true): PathInput {
  return {
    peerSiteId: PEER,
    localSlot,
    remoteSlot: 0,
    up,
    rttMs,
    jitterMs: 0,
    lossRatio: 0,
    mos: 4.4,
    bandwidthMbps: 100,
    cost: 0,
    predicted,
  }
}

function setup(failover: Partial<FailoverSettings> = {}) {
  const clock = new FakeClock(T0)
  const engine = new PathSelector({
    clock,
    classes: [VOICE, BULK],
    failover: { ...SETTINGS, ...failover },
  })
  const events: DecisionEvent[] = []
  const step = (paths: PathInput[]) => {
    const result = engine.evaluate(paths)
    events.push(...result.events)
    const slotOf = (id: string) =>
      result.decisions.find((d) => d.classId === id && d.peerSiteId === PEER)?.path?.localSlot ??
      null
    const reasonOf = (id: string) => result.decisions.find((d) => d.classId === id)?.reason
    return { voice: slotOf('voice'), bulk: slotOf('bulk'), reason: reasonOf('voice') }
  }
  return { clock, events, step }
}

describe('path selector: predictive moves', () => {
  it('moves an opted-in class off a flagged path before it fails; others stay', () => {
    const { step, clock, events } = setup()
    expect(step([path(0, 20), path(1, 40)])).toMatchObject({ voice: 0, bulk: 0 })
    clock.advance(2_000)
    const flagged = step([path(0, 20, true), path(1, 40)])
    expect(flagged).toMatchObject({ voice: 1, bulk: 0, reason: 'predicted' })
    expect(events.at(-1)).toMatchObject({
      type: 'switch',
      classId: 'voice',
      reason: 'predicted',
      from: { localSlot: 0 },
      to: { localSlot: 1 },
    })
    // The cut the model saw coming: the opted-in class is already away, bulk fails over.
    clock.advance(3_000)
    expect(step([path(0, 20, true, false), path(1, 40)])).toMatchObject({ voice: 1, bulk: 1 })
    expect(events.filter((e) => e.classId === 'voice' && e.type === 'failover')).toEqual([])
    expect(events.filter((e) => e.classId === 'bulk' && e.type === 'failover')).toHaveLength(1)
  })

  it('stays when every other path is flagged too, or is the only one', () => {
    const { step, clock } = setup()
    expect(step([path(0, 20), path(1, 40)]).voice).toBe(0)
    clock.advance(2_000)
    expect(step([path(0, 20, true), path(1, 40, true)])).toMatchObject({
      voice: 0,
      reason: 'current_best',
    })
    clock.advance(2_000)
    expect(step([path(0, 20, true), path(1, 40, false, false)]).voice).toBe(0)
  })

  it('waits out the hold-down like an SLA move, then moves', () => {
    const { step, clock } = setup()
    expect(step([path(0, 20), path(1, 40)]).voice).toBe(0)
    clock.advance(2_000)
    // A failover (path 0 down) starts the hold-down ...
    expect(step([path(0, 20, false, false), path(1, 40)]).voice).toBe(1)
    clock.advance(300)
    // ... so a flag on the new path 300 ms later does not move the class yet.
    expect(step([path(0, 20), path(1, 40, true)])).toMatchObject({ voice: 1, reason: 'hold_down' })
    clock.advance(800)
    expect(step([path(0, 20), path(1, 40, true)])).toMatchObject({ voice: 0, reason: 'predicted' })
  })

  it('does not flap when P hovers around the threshold: at most one move per hold-down', () => {
    const { step, clock, events } = setup({ failbackAfterMs: 2_000 })
    step([path(0, 20), path(1, 40)])
    // 20 s of a flag toggling every 100 ms on path 0, path 1 clean: one move, no way back
    // while the flag keeps coming back (path 0 is never clean for failbackAfterMs).
    for (let k = 0; k < 200; k++) {
      clock.advance(100)
      step([path(0, 20, k % 2 === 0), path(1, 40)])
    }
    const voiceMoves = events.filter((e) => e.classId === 'voice')
    expect(voiceMoves).toHaveLength(1)
    expect(voiceMoves[0]).toMatchObject({ reason: 'predicted', to: { localSlot: 1 } })
    // Both flagged in turn: moves are at least a hold-down apart.
    const { step: step2, clock: clock2, events: events2 } = setup({ failbackAfterMs: 0 })
    step2([path(0, 20), path(1, 40)])
    for (let k = 0; k < 100; k++) {
      clock2.advance(100)
      step2([path(0, 20, k % 4 < 2), path(1, 40, k % 4 >= 2)])
    }
    const times = events2.filter((e) => e.classId === 'voice').map((e) => e.at)
    expect(times.length).toBeGreaterThan(1)
    for (let i = 1; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(SETTINGS.holdDownMs)
    }
  })

  it('fails back only when the path is clean: no flag and reactive checks fine for failbackAfterMs', () => {
    const { step, clock, events } = setup()
    step([path(0, 20), path(1, 40)])
    clock.advance(2_000)
    expect(step([path(0, 20, true), path(1, 40)]).voice).toBe(1)
    // Flag gone at t; 9.9 s later still away.
    clock.advance(100)
    expect(step([path(0, 20), path(1, 40)]).voice).toBe(1)
    clock.advance(9_800)
    expect(step([path(0, 20), path(1, 40)]).voice).toBe(1)
    // An SLA breach (reactive check) restarts the wait.
    clock.advance(100)
    expect(step([path(0, 200), path(1, 40)]).voice).toBe(1)
    clock.advance(9_000)
    expect(step([path(0, 20), path(1, 40)]).voice).toBe(1)
    clock.advance(1_100)
    const back = step([path(0, 20), path(1, 40)])
    expect(back).toMatchObject({ voice: 0, reason: 'failback' })
    expect(events.at(-1)).toMatchObject({ type: 'failback', classId: 'voice' })
  })

  it('a flagged path is not chosen first, nor after a failover, while an unflagged one is up', () => {
    const { step, clock } = setup()
    expect(step([path(0, 20, true), path(1, 40)]).voice).toBe(1)
    clock.advance(2_000)
    // Path 1 dies; path 2 unflagged beats flagged path 0 despite a worse RTT.
    expect(step([path(0, 20, true), path(1, 40, false, false), path(2, 60)]).voice).toBe(2)
  })

  it('opt-in from the policy: explicit, else on for classes with an SLA', () => {
    const action = (extra: object) => ({ preference: 'lowest-latency' as const, ...extra })
    const classes = classesFromDesiredState({
      policies: [
        { id: 'a', name: 'a', priority: 1, match: {}, action: action({ sla: { maxLossPct: 1 } }) },
        { id: 'b', name: 'b', priority: 2, match: {}, action: action({}) },
        {
          id: 'c',
          name: 'c',
          priority: 3,
          match: {},
          action: action({ sla: { maxLossPct: 1 }, predictive: false }),
        },
        { id: 'd', name: 'd', priority: 4, match: {}, action: action({ predictive: true }) },
      ],
    })
    expect(classes.map((c) => [c.id, c.predictive === true])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
      ['d', true],
      ['default', false],
    ])
  })
})
