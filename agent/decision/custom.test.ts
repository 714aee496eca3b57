/**
 * `custom` classes in the path selector: they rank paths by the plugin scores the caller
 * put on the inputs (PathInput.customScores), fall back to lowest-latency when any path lacks
 * a score, and treat a path the plugin refuses (non-finite score) as down for that class only.
 */
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../clock/fake'
import { PathSelector } from './selector'
import type { DecisionEvent, FailoverSettings, PathInput, TrafficClass } from './types'

const PEER = 'site-b'
const SETTINGS: FailoverSettings = { holdDownMs: 1000, failbackAfterMs: 10_000, hysteresisPct: 10 }
const LATENCY: TrafficClass = { id: 'default', name: 'default', preference: 'lowest-latency' }
const VOICE: TrafficClass = { id: 'voice', name: 'voice', preference: 'custom', scorer: 'by-mos' }

function path(slot: number, rttMs: number, scores?: Record<string, number>): PathInput {
  return {
    peerSiteId: PEER,
    localSlot: slot,
    remoteSlot: 0,
    up: true,
    rttMs,
    jitterMs: 0,
    lossRatio: 0,
    mos: 4.4,
    bandwidthMbps: 100,
    cost: 0,
    ...(scores ? { customScores: scores } : {}),
  }
}

function setup(failover: Partial<FailoverSettings> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1))
  const engine = new PathSelector({
    clock,
    classes: [VOICE, LATENCY],
    failover: { ...SETTINGS, ...failover },
  })
  const events: DecisionEvent[] = []
  const step = (paths: PathInput[]) => {
    const result = engine.evaluate(paths)
    events.push(...result.events)
    const of = (id: string) => result.decisions.find((d) => d.classId === id)!
    return { voice: of('voice'), latency: of('default') }
  }
  return { clock, step, events }
}

const slot = (d: { path: { localSlot: number } | null }) => d.path?.localSlot ?? null

describe('custom classes in the path selector', () => {
  it('rank by the plugin scores: a path lowest-latency would not pick', () => {
    const { step } = setup()
    const d = step([path(0, 10, { 'by-mos': 3.1 }), path(1, 80, { 'by-mos': 4.3 })])
    expect(slot(d.voice)).toBe(1)
    expect(d.voice.reason).toBe('initial')
    expect(slot(d.latency)).toBe(0)
  })

  it('fall back to lowest-latency when any path lacks a score (never a mix)', () => {
    const { step } = setup()
    expect(slot(step([path(0, 10), path(1, 80)]).voice)).toBe(0)
    const partial = step([path(0, 10), path(1, 80, { 'by-mos': 4.3 })])
    expect(slot(partial.voice)).toBe(0)
    // Another scorer's scores are not this class's.
    expect(slot(step([path(0, 10, { other: 1 }), path(1, 80, { other: 9 })]).voice)).toBe(0)
  })

  it('a refused path (non-finite score) is down for the class: never chosen, forced off', () => {
    const { step, clock, events } = setup({ holdDownMs: 0, failbackAfterMs: 0 })
    const first = step([
      path(0, 10, { 'by-mos': Number.NEGATIVE_INFINITY }),
      path(1, 80, { 'by-mos': Number.NaN }),
      path(2, 90, { 'by-mos': 1 }),
    ])
    expect(slot(first.voice)).toBe(2)
    expect(slot(first.latency)).toBe(0)
    clock.advance(100)
    // The plugin now refuses the current path: the class moves at once, reason `refused`.
    const moved = step([
      path(0, 10, { 'by-mos': 0 }),
      path(1, 80, { 'by-mos': 1 }),
      path(2, 90, { 'by-mos': Number.POSITIVE_INFINITY }),
    ])
    expect(slot(moved.voice)).toBe(1)
    expect(moved.voice.reason).toBe('refused')
    expect(events.at(-1)).toMatchObject({ type: 'switch', reason: 'refused', classId: 'voice' })
    // Every path refused: the class has no path; the built-in class is unaffected.
    clock.advance(100)
    const none = step([
      path(0, 10, { 'by-mos': Number.NaN }),
      path(1, 80, { 'by-mos': Number.NaN }),
    ])
    expect(none.voice.path).toBeNull()
    expect(none.voice.reason).toBe('no_path')
    expect(slot(none.latency)).toBe(0)
  })

  it('a refused path takes the class back only after failbackAfterMs accepted', () => {
    const { step, clock } = setup({ holdDownMs: 0, failbackAfterMs: 5_000 })
    const good = () => [path(0, 10, { 'by-mos': 9 }), path(1, 20, { 'by-mos': 1 })]
    expect(slot(step(good()).voice)).toBe(0)
    clock.advance(100)
    const off = step([path(0, 10, { 'by-mos': Number.NaN }), path(1, 20, { 'by-mos': 1 })])
    expect(slot(off.voice)).toBe(1)
    clock.advance(4_000)
    expect(slot(step(good()).voice)).toBe(1)
    clock.advance(1_100)
    const back = step(good())
    expect(slot(back.voice)).toBe(0)
    expect(back.voice.reason).toBe('failback')
  })
})
