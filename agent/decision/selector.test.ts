import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../clock/fake'
import { PathSelector } from './selector'
import {
  type DecisionEvent,
  type FailoverSettings,
  type PathInput,
  pathKey,
  type TrafficClass,
} from './types'

const PEER = 'site-b'
const T0 = Date.UTC(2026, 0, 1)
const DEFAULT: TrafficClass = { id: 'default', name: 'default', preference: 'lowest-latency' }
const SETTINGS: FailoverSettings = { holdDownMs: 1000, failbackAfterMs: 10_000, hysteresisPct: 10 }

function path(localSlot: number, rttMs: number, extra: Partial<PathInput> = {}): PathInput {
  return {
    peerSiteId: PEER,
    localSlot,
    remoteSlot: 0,
    up: true,
    rttMs,
    jitterMs: 0,
    lossRatio: 0,
    mos: 4.4,
    bandwidthMbps: 100,
    cost: 0,
    ...extra,
  }
}

function setup(
  failover: Partial<FailoverSettings> = {},
  classes: TrafficClass[] = [DEFAULT],
  extra: Partial<ConstructorParameters<typeof PathSelector>[0]> = {},
) {
  const clock = new FakeClock(T0)
  const engine = new PathSelector({
    clock,
    classes,
    failover: { ...SETTINGS, ...failover },
    ...extra,
  })
  const events: DecisionEvent[] = []
  const step = (paths: PathInput[], classId = classes[0]!.id) => {
    const result = engine.evaluate(paths)
    events.push(...result.events)
    const decision = result.decisions.find((d) => d.classId === classId && d.peerSiteId === PEER)!
    return decision
  }
  return { clock, engine, events, step }
}

const slot = (d: { path: { localSlot: number } | null }) => d.path?.localSlot ?? null
const moves = (events: DecisionEvent[]) =>
  events.filter((e) => e.type === 'failover' || e.type === 'switch' || e.type === 'failback')

describe('path selector', () => {
  it('first picks the best path by preference, with no event', () => {
    const { step, events } = setup()
    const d = step([path(0, 50), path(1, 20), path(2, 30)])
    expect(slot(d)).toBe(1)
    expect(d.reason).toBe('initial')
    expect(d.paths).toEqual([
      { path: { peerSiteId: PEER, localSlot: 1, remoteSlot: 0 }, weight: 1 },
    ])
    expect(events).toEqual([])
  })

  it('hysteresis: no switch for a gain below hysteresisPct, a switch above it', () => {
    const { step, clock, events } = setup({ holdDownMs: 0, failbackAfterMs: 0 })
    expect(slot(step([path(0, 50), path(1, 60)]))).toBe(0)
    clock.advance(100)
    const marginal = step([path(0, 50), path(1, 46)]) // 8% better
    expect(slot(marginal)).toBe(0)
    expect(marginal.reason).toBe('hysteresis')
    clock.advance(100)
    const clear = step([path(0, 50), path(1, 44)]) // 12% better
    expect(slot(clear)).toBe(1)
    expect(clear.reason).toBe('better')
    expect(events.map((e) => [e.type, e.from?.localSlot, e.to?.localSlot, e.at])).toEqual([
      ['switch', 0, 1, T0 + 200],
    ])
  })

  it('minimum gain: sub-millisecond paths do not trade places on noise', () => {
    const { step, clock, events } = setup({ holdDownMs: 0, failbackAfterMs: 0 })
    expect(slot(step([path(0, 0.5), path(1, 0.6)]))).toBe(0)
    clock.advance(100)
    // 60% better, but by 0.3 ms of effective delay: below MIN_GAIN (2).
    const noisy = step([path(0, 0.5), path(1, 0.2)])
    expect(slot(noisy)).toBe(0)
    expect(noisy.reason).toBe('hysteresis')
    expect(events).toEqual([])
  })

  it('failback to an equally good path once it is clean (no gain needed)', () => {
    const { step, clock } = setup({ holdDownMs: 0, failbackAfterMs: 1000 })
    clock.advance(2000)
    expect(slot(step([path(0, 0.5), path(1, 0.5)]))).toBe(0)
    clock.advance(100)
    expect(slot(step([path(0, 0.5, { up: false }), path(1, 0.5)]))).toBe(1)
    clock.advance(500)
    expect(slot(step([path(0, 0.5), path(1, 0.5)]))).toBe(1) // not clean yet
    clock.advance(1000)
    const back = step([path(0, 0.5), path(1, 0.5)])
    expect(slot(back)).toBe(0)
    expect(back.reason).toBe('failback')
  })

  it('hold-down: no voluntary switch within holdDownMs of the last one', () => {
    const { step, clock, events } = setup({ holdDownMs: 5000, failbackAfterMs: 0 })
    step([path(0, 50), path(1, 80), path(2, 90)])
    clock.advance(1000)
    expect(slot(step([path(0, 50), path(1, 20), path(2, 90)]))).toBe(1) // first switch: free
    const switchedAt = clock.now()
    let switchedAgainAt: number | null = null
    for (let i = 0; i < 100 && switchedAgainAt === null; i++) {
      clock.advance(100)
      const d = step([path(0, 50), path(1, 20), path(2, 5)])
      if (slot(d) === 2) switchedAgainAt = clock.now()
      else expect(d.reason).toBe('hold_down')
    }
    expect(switchedAgainAt).toBe(switchedAt + 5000)
    expect(moves(events)).toHaveLength(2)
  })

  it('hold-down never delays a failover forced by a down path', () => {
    const { step, clock, events } = setup({ holdDownMs: 60_000, failbackAfterMs: 0 })
    step([path(0, 50), path(1, 20), path(2, 90)])
    clock.advance(100)
    step([path(0, 10), path(1, 20), path(2, 90)]) // voluntary switch to 0 (hold-down starts)
    clock.advance(100)
    const d = step([path(0, 10, { up: false }), path(1, 20), path(2, 90)])
    expect(slot(d)).toBe(1)
    expect(d.reason).toBe('path_down')
    expect(events.at(-1)).toMatchObject({ type: 'failover', reason: 'path_down', at: T0 + 200 })
    expect(events.at(-1)?.from?.localSlot).toBe(0)
  })

  it('failback only after the preferred path stayed clean for failbackAfterMs', () => {
    const { step, clock, events } = setup({ holdDownMs: 1000, failbackAfterMs: 10_000 })
    const at = (t: number) => T0 + t
    let aUp = true
    let failedBackAt: number | null = null
    for (let t = 0; t <= 40_000 && failedBackAt === null; t += 100) {
      clock.advance(t === 0 ? 0 : 100)
      // A (slot 0, 10 ms) dies at 1 s, returns at 3 s, blips down at 8 s for 200 ms.
      aUp = !(t >= 1000 && t < 3000) && !(t >= 8000 && t < 8200)
      const d = step([path(0, 10, { up: aUp }), path(1, 50)])
      if (t >= 1000 && slot(d) === 0) failedBackAt = clock.now()
      if (t >= 1000 && failedBackAt === null) expect(slot(d)).toBe(1)
    }
    // The blip restarted the clean timer: failback 10 s after A was last seen down (8.1 s),
    // not 10 s after it first came back (3 s).
    expect(failedBackAt).toBe(at(18_100))
    expect(moves(events).map((e) => [e.type, e.reason, e.at])).toEqual([
      ['failover', 'path_down', at(1000)],
      ['failback', 'failback', at(18_100)],
    ])
  })

  it('flapping: a path flapping every 2 s for 60 s costs at most one switch per hold-down', () => {
    for (const holdDownMs of [1000, 5000]) {
      const { step, clock, engine, events } = setup({ holdDownMs })
      let suppressedSeen = false
      const a = { peerSiteId: PEER, localSlot: 0, remoteSlot: 0 }
      for (let t = 0; t < 60_000; t += 50) {
        const aUp = Math.floor(t / 2000) % 2 === 0 // toggles every 2 s
        step([path(0, 10, { up: aUp }), path(1, 50)])
        suppressedSeen ||= engine.damping(a).suppressed
        clock.advance(50)
      }
      const during = moves(events)
      for (const e of during) {
        const near = during.filter((o) => o.at >= e.at && o.at < e.at + holdDownMs)
        expect(near).toHaveLength(1)
      }
      expect(during.map((e) => e.type)).toEqual(['failover'])
      expect(suppressedSeen).toBe(true)
      // Once the flapping stops, A is reused when its penalty has decayed and it is clean.
      let back: number | null = null
      for (let t = 0; t < 180_000 && back === null; t += 500) {
        clock.advance(500)
        if (slot(step([path(0, 10), path(1, 50)])) === 0) back = clock.now()
      }
      expect(back).not.toBeNull()
      expect(engine.damping(a).suppressed).toBe(false)
      expect(events.at(-1)?.type).toBe('failback')
    }
  })

  it('damping alone stops the bouncing when failback is immediate', () => {
    const { step, clock, events } = setup({ holdDownMs: 1000, failbackAfterMs: 0 })
    const switchTimes: number[] = []
    for (let t = 0; t < 60_000; t += 50) {
      const aUp = Math.floor(t / 2000) % 2 === 0
      step([path(0, 10, { up: aUp }), path(1, 50)])
      clock.advance(50)
    }
    for (const e of moves(events)) switchTimes.push(e.at - T0)
    // Without damping this would be a switch every 2 s (30); the third flap suppresses A.
    expect(switchTimes.length).toBeGreaterThanOrEqual(3)
    expect(switchTimes.length).toBeLessThanOrEqual(6)
    expect(switchTimes.at(-1)!).toBeLessThan(20_000)
  })

  it('chooses a suppressed path when nothing else is up', () => {
    const { step, clock, engine } = setup({ holdDownMs: 0, failbackAfterMs: 0 })
    const a = { peerSiteId: PEER, localSlot: 0, remoteSlot: 0 }
    for (let i = 0; i < 4; i++) {
      step([path(0, 10, { up: false }), path(1, 50)])
      clock.advance(100)
      step([path(0, 10), path(1, 50)])
      clock.advance(100)
    }
    expect(engine.damping(a).suppressed).toBe(true)
    expect(slot(step([path(0, 10), path(1, 50)]))).toBe(1)
    clock.advance(100)
    expect(slot(step([path(0, 10), path(1, 50, { up: false })]))).toBe(0)
  })

  it('SLA: leaves a violating path for a compliant one, else takes the least bad and flags it', () => {
    const cheap: TrafficClass = {
      id: 'bulk',
      name: 'bulk',
      preference: 'lowest-cost',
      sla: { maxLatencyMs: 100, maxLossPct: 1 },
    }
    const { step, clock, events } = setup({ holdDownMs: 1000 }, [cheap, DEFAULT])
    const a = (rtt: number, loss = 0) => path(0, rtt, { cost: 0, lossRatio: loss })
    const b = (rtt: number) => path(1, rtt, { cost: 5 })
    expect(slot(step([a(50), b(40)]))).toBe(0) // cheap wins

    clock.advance(2000)
    const moved = step([a(150), b(40)])
    expect(slot(moved)).toBe(1)
    expect(moved.reason).toBe('sla')
    expect(moved.slaViolation).toBe(false)
    expect(events.at(-1)).toMatchObject({ type: 'switch', reason: 'sla' })

    // Both violate: A exceeds by 50% (latency), B by 100%: least bad is A, once hold-down ends.
    clock.advance(2000)
    const bad = step([a(150), b(200)])
    expect(slot(bad)).toBe(0)
    expect(bad.slaViolation).toBe(true)
    expect(events.filter((e) => e.type === 'sla_violation')).toHaveLength(1)
    clock.advance(100)
    step([a(150), b(200)])
    expect(events.filter((e) => e.type === 'sla_violation')).toHaveLength(1) // onset only

    // Loss counts too: 3% against a 1% limit makes A worse than B.
    clock.advance(2000)
    expect(slot(step([a(90, 0.03), b(120)]))).toBe(1)
    // The default class (no SLA) never flags a violation.
    expect(step([a(90, 0.03), b(120)], 'default').slaViolation).toBe(false)
  })

  it('all down: no path and a no_path event; the first path back takes over', () => {
    const { step, clock, events } = setup()
    step([path(0, 10), path(1, 50)])
    clock.advance(100)
    const none = step([path(0, 10, { up: false }), path(1, 50, { up: false })])
    expect(none.path).toBeNull()
    expect(none.paths).toEqual([])
    expect(none.reason).toBe('no_path')
    expect(events.at(-1)).toMatchObject({ type: 'no_path', to: null })
    clock.advance(100)
    step([path(0, 10, { up: false }), path(1, 50, { up: false })])
    expect(events.filter((e) => e.type === 'no_path')).toHaveLength(1)
    clock.advance(100)
    const back = step([path(0, 10, { up: false }), path(1, 50)])
    expect(slot(back)).toBe(1)
    expect(back.reason).toBe('restored')
    expect(events.at(-1)).toMatchObject({ type: 'failover', reason: 'restored', from: null })
  })

  it('load-balance: weights follow bandwidth; a dead member leaves at once, rejoins when clean', () => {
    const lb: TrafficClass = { id: 'lb', name: 'lb', preference: 'load-balance' }
    const { step, clock, events } = setup({ holdDownMs: 1000, failbackAfterMs: 5000 }, [lb])
    const a = (up = true) => path(0, 20, { bandwidthMbps: 100, up })
    const b = () => path(1, 20, { bandwidthMbps: 300 })
    const first = step([a(), b()])
    expect(first.paths.map((p) => [p.path.localSlot, p.weight])).toEqual([
      [1, 0.75],
      [0, 0.25],
    ])
    expect(slot(first)).toBe(1)
    clock.advance(100)
    const down = step([a(false), b()])
    expect(down.paths.map((p) => [p.path.localSlot, p.weight])).toEqual([[1, 1]])
    expect(events.at(-1)).toMatchObject({ type: 'failover', reason: 'path_down' })
    let rejoined: number | null = null
    for (let i = 0; i < 200 && rejoined === null; i++) {
      clock.advance(100)
      if (step([a(), b()]).paths.length === 2) rejoined = clock.now()
    }
    expect(rejoined).toBe(T0 + 100 + 5000) // last seen down at +100 ms
    expect(events.at(-1)).toMatchObject({ type: 'failback' })
  })

  it('decides per peer, and forgets classes and peers that disappear', () => {
    const { engine } = setup()
    const other = (p: PathInput): PathInput => ({ ...p, peerSiteId: 'site-c' })
    const r = engine.evaluate([path(0, 10), path(1, 50), other(path(0, 90)), other(path(1, 30))])
    expect(r.decisions.map((d) => [d.peerSiteId, d.path?.localSlot])).toEqual([
      [PEER, 0],
      ['site-c', 1],
    ])
    engine.reconfig({ classes: [{ ...DEFAULT, id: 'other' }] })
    expect(engine.evaluate([path(0, 10)]).decisions.map((d) => [d.classId, d.reason])).toEqual([
      ['other', 'initial'],
    ])
  })

  it('never chooses a down path, or a suppressed one while an unsuppressed one is up', () => {
    const state = fc.record({
      up: fc.boolean(),
      rtt: fc.oneof(fc.double({ min: 1, max: 500, noNaN: true }), fc.constant(Number.NaN)),
      loss: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    const stepArb = fc.record({
      dt: fc.integer({ min: 0, max: 5000 }),
      paths: fc.array(state, { minLength: 3, maxLength: 3 }),
    })
    const sla: TrafficClass = {
      id: 'sla',
      name: 'sla',
      preference: 'lowest-latency',
      sla: { maxLatencyMs: 100, maxLossPct: 2 },
    }
    const lb: TrafficClass = { id: 'lb', name: 'lb', preference: 'load-balance' }
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => {
        const { engine, clock } = setup({ holdDownMs: 1000, failbackAfterMs: 3000 }, [
          sla,
          lb,
          DEFAULT,
        ])
        for (const s of steps) {
          clock.advance(s.dt)
          const paths = s.paths.map((p, i) => path(i, p.rtt, { up: p.up, lossRatio: p.loss }))
          const r = engine.evaluate(paths)
          const up = paths.filter((p) => p.up)
          const unsuppressed = up.filter((p) => !engine.damping(p).suppressed)
          for (const d of r.decisions) {
            if (up.length === 0) {
              expect(d.path).toBeNull()
              continue
            }
            expect(d.path).not.toBeNull()
            const chosen = paths.find((p) => pathKey(p) === pathKey(d.path!))!
            expect(chosen.up).toBe(true)
            if (unsuppressed.length > 0) expect(engine.damping(chosen).suppressed).toBe(false)
            for (const w of d.paths) {
              expect(paths.find((p) => pathKey(p) === pathKey(w.path))?.up).toBe(true)
            }
            const total = d.paths.reduce((a, w) => a + w.weight, 0)
            expect(total).toBeCloseTo(1, 9)
          }
        }
      }),
      { numRuns: 150 },
    )
  })
})
