/** PathMonitor end to end without root (the test bed: two-sites.ts). */
import { afterEach, describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../protocol/telemetry'
import type { ClassDecision } from '../decision'
import { MESH_DEFAULTS } from '../plan/mesh-plan'
import { EVENT_QUEUE_MAX } from './monitor'
import type { PathPredictions } from './predictions'
import {
  A0,
  B0,
  BFD_MS,
  BFD_MULT,
  CLASS_RULE_PRIORITY,
  CONTROL_PLANE,
  CP_RULE_PRIORITY,
  closeSites,
  MESH,
  twoSites,
  VOICE_TABLE,
  voice,
} from './two-sites'

afterEach(closeSites)

const pathOf = (e: AgentEvent) => e.path && `${e.path.localSlot}/${e.path.remoteSlot}`

describe('PathMonitor over an in-memory platform', () => {
  it('tracks every path of the desired state and routes each class over one that is up', async () => {
    const seen: (readonly ClassDecision[])[] = []
    const s = await twoSites({ configure: (m) => m.onDecisions(async (d) => void seen.push(d)) })
    expect(
      s.monitor.bfd
        .sessions()
        .map((x) => x.key)
        .sort(),
    ).toEqual(['site_b/0/0', 'site_b/1/0'])
    await s.run(5_000)

    expect(s.monitor.isUp('site_b/0/0')).toBe(true)
    expect(s.monitor.isUp('site_b/1/0')).toBe(true)
    expect(s.monitor.uplinkStates()).toEqual(
      new Map([
        [0, 'up'],
        [1, 'up'],
      ]),
    )
    // Both paths are equal: the first one carries every class.
    expect(s.monitor.routeDevice('site_b')).toBe('pt0-0')
    expect(s.routing.table(MESH)).toEqual(['10.9.0.0/16 pt0-0', '100.64.0.9/32 pt0-0'])
    expect(s.routing.table(VOICE_TABLE)).toEqual(['10.9.0.0/16 pt0-0', '100.64.0.9/32 pt0-0'])
    expect(await s.routing.rules()).toEqual(
      expect.arrayContaining([
        { priority: CLASS_RULE_PRIORITY, table: VOICE_TABLE, family: 4, to: '10.9.1.0/24' },
        {
          priority: CP_RULE_PRIORITY,
          table: MESH_DEFAULTS.uplinkTableBase,
          to: `${CONTROL_PLANE}/32`,
          family: 4,
        },
      ]),
    )
    expect(s.monitor.decisions.map((d) => [d.classId, d.path?.localSlot])).toEqual([
      ['pol_voice', 0],
      ['default', 0],
    ])
    expect(seen.at(-1)).toBe(s.monitor.decisions)

    const batch = s.monitor.telemetry()
    expect(batch.samples.map((x) => [x.path.localSlot, x.state])).toEqual([
      [0, 'up'],
      [1, 'up'],
    ])
    expect(batch.activePaths.map((p) => [p.class, p.path.localSlot])).toEqual([
      ['pol_voice', 0],
      ['default', 0],
    ])
  })

  it('moves the class routes to the other path when BFD on the active one goes down', async () => {
    const s = await twoSites()
    await s.run(5_000)
    s.monitor.takeEvents(EVENT_QUEUE_MAX)
    let notified = 0
    s.monitor.onEvents(() => notified++)

    s.underlay.cut(A0, B0)
    const took = await s.runUntil(() => s.monitor.routeDevice('site_b') === 'pt1-0', 2_000)
    // BFD detection (interval x multiplier) plus one step of this loop: no timer in between.
    expect(took).toBeLessThanOrEqual(BFD_MS * BFD_MULT + 10)
    await s.run(100)

    expect(s.routing.table(MESH)).toEqual(['10.9.0.0/16 pt1-0', '100.64.0.9/32 pt1-0'])
    expect(s.routing.table(VOICE_TABLE)).toEqual(['10.9.0.0/16 pt1-0', '100.64.0.9/32 pt1-0'])
    expect(s.monitor.isUp('site_b/0/0')).toBe(false)
    expect(s.monitor.uplinkStates()).toEqual(
      new Map([
        [0, 'down'],
        [1, 'up'],
      ]),
    )
    // Control plane traffic follows an uplink that is up.
    expect(await s.routing.rules()).toContainEqual({
      priority: CP_RULE_PRIORITY,
      table: MESH_DEFAULTS.uplinkTableBase + 1,
      to: `${CONTROL_PLANE}/32`,
      family: 4,
    })
    const events = s.monitor.takeEvents(EVENT_QUEUE_MAX)
    expect(events.map((e) => [e.type, e.class ?? null, pathOf(e)])).toEqual([
      ['path.down', null, '0/0'],
      ['path.failover', 'pol_voice', '1/0'],
      ['path.failover', 'default', '1/0'],
    ])
    expect(events[0]?.details).toEqual({ bfd: 'down', tunnel: 'up' })
    expect(events[2]?.details).toMatchObject({ reason: 'path_down' })
    expect(notified).toBe(3)
    expect(s.monitor.telemetry().samples.map((x) => x.state)).toEqual(['down', 'up'])
  })

  it('reports an uplink unknown until one of its BFD sessions has been up, then down', async () => {
    const s = await twoSites({ prepare: async ({ underlay }) => underlay.cut(A0, B0) })
    const states = () => Object.fromEntries(s.monitor.uplinkStates())
    await s.run(3_000)
    expect(states()).toEqual({ 0: 'unknown', 1: 'up' })
    s.underlay.heal(A0, B0)
    await s.run(3_000)
    expect(states()).toEqual({ 0: 'up', 1: 'up' })
    s.underlay.cut(A0, B0)
    await s.run(500)
    expect(states()).toEqual({ 0: 'down', 1: 'up' })
  })

  it('takes a path down when its tunnel is gone although BFD is up', async () => {
    const s = await twoSites()
    await s.run(5_000)
    s.monitor.takeEvents(EVENT_QUEUE_MAX)
    s.wgA.remove('pt0-0')
    await s.run(1_100)
    expect(s.monitor.routeDevice('site_b')).toBe('pt1-0')
    const down = s.monitor.takeEvents(EVENT_QUEUE_MAX).find((e) => e.type === 'path.down')
    expect(down?.details).toEqual({ bfd: 'up', tunnel: 'down' })
  })

  it('keeps at most EVENT_QUEUE_MAX events, dropping the oldest and saying how many once', async () => {
    const s = await twoSites()
    await s.run(5_000)
    s.monitor.takeEvents(EVENT_QUEUE_MAX)
    const filler = (n: number): AgentEvent => ({
      type: 'path.up',
      at: n,
      severity: 'info',
      details: { n },
    })
    s.monitor.requeue(Array.from({ length: EVENT_QUEUE_MAX }, (_, n) => filler(n)))
    expect(s.monitor.pendingEvents).toBe(EVENT_QUEUE_MAX)

    s.underlay.cut(A0, B0)
    await s.run(500)
    expect(s.monitor.pendingEvents).toBe(EVENT_QUEUE_MAX)
    const taken = s.monitor.takeEvents(2 * EVENT_QUEUE_MAX)
    // The three newest (path.down and two failovers) pushed out the three oldest fillers.
    expect(taken[0]?.details).toEqual({ n: 3 })
    expect(taken.slice(-3).map((e) => e.type)).toEqual([
      'path.down',
      'path.failover',
      'path.failover',
    ])
    const warned = () => s.lines.filter((l) => l.msg === 'event queue full: oldest events dropped')
    expect(warned().map((l) => l.dropped)).toEqual([3])
    s.monitor.takeEvents(1)
    expect(warned()).toHaveLength(1)

    // A failed post put back onto a full queue loses the put-back (oldest) events first.
    s.monitor.requeue(Array.from({ length: EVENT_QUEUE_MAX }, (_, n) => filler(n)))
    s.monitor.requeue([filler(-2), filler(-1)])
    expect(s.monitor.pendingEvents).toBe(EVENT_QUEUE_MAX)
    expect(s.monitor.takeEvents(1)[0]?.details).toEqual({ n: 0 })
    expect(warned().map((l) => l.dropped)).toEqual([3, 2])
  })

  it('feeds a failure predictor and acts on its flags and events', async () => {
    const calls = { paths: [] as string[][], bfd: [] as string[], probes: 0 }
    let flagged = ''
    const predictions: PathPredictions = {
      setPaths: (keys) => void calls.paths.push([...keys]),
      observeProbe: () => void calls.probes++,
      observeBfd: (key, _t, up) => void calls.bfd.push(`${key} ${up ? 'up' : 'down'}`),
      flagged: (key) => key === flagged,
      events: (now, paths) =>
        flagged
          ? [
              {
                type: 'path.predicted_degradation',
                at: now,
                severity: 'warning',
                path: paths.find((p) => p.key === flagged)?.ref,
                details: {},
              } as AgentEvent,
            ]
          : [],
    }
    const s = await twoSites({
      policies: [{ ...voice, action: { preference: 'lowest-latency', predictive: true } }],
      configure: (m) => m.usePredictions(predictions),
    })
    expect(calls.paths).toEqual([[], ['site_b/0/0', 'site_b/1/0']])
    await s.run(5_000)
    expect(calls.bfd.sort()).toEqual(['site_b/0/0 up', 'site_b/1/0 up'])
    expect(calls.probes).toBeGreaterThan(0)
    s.monitor.takeEvents(EVENT_QUEUE_MAX)

    flagged = 'site_b/0/0'
    await s.monitor.evaluate()
    const voiceDecision = s.monitor.decisions.find((d) => d.classId === 'pol_voice')
    expect(voiceDecision?.path?.localSlot).toBe(1)
    expect(s.routing.table(VOICE_TABLE)).toEqual(['10.9.0.0/16 pt1-0', '100.64.0.9/32 pt1-0'])
    expect(s.monitor.takeEvents(EVENT_QUEUE_MAX).map((e) => e.type)).toContain(
      'path.predicted_degradation',
    )
  })

  it('fills the table of an application-only class only when marked flows are steered', async () => {
    const apps = {
      id: 'pol_apps',
      name: 'apps',
      priority: 20,
      match: { applications: ['zoom'] },
      action: { preference: 'lowest-latency' as const },
    }
    const plain = await twoSites({ policies: [voice, apps] })
    await plain.run(3_000)
    expect(plain.routing.table(VOICE_TABLE + 1)).toEqual([])

    const marked = await twoSites({
      policies: [voice, apps],
      configure: (m) => m.steerMarkedClasses(true),
    })
    await marked.run(3_000)
    expect(marked.routing.table(VOICE_TABLE + 1)).toEqual([
      '10.9.0.0/16 pt0-0',
      '100.64.0.9/32 pt0-0',
    ])
    // No rule can match applications: the classifier's fwmark rules lead to the table.
    expect((await marked.routing.rules()).filter((r) => r.table === VOICE_TABLE + 1)).toEqual([])
  })

  it('sweeps class rules and routes a crashed predecessor left, and nothing else', async () => {
    const stale = { priority: CLASS_RULE_PRIORITY + 3, table: VOICE_TABLE + 3, family: 4 as const }
    const staleCp = { priority: CP_RULE_PRIORITY, table: MESH_DEFAULTS.uplinkTableBase + 2 }
    const foreign = { priority: 500, table: VOICE_TABLE + 3, family: 4 as const }
    const s = await twoSites({
      policies: [],
      prepare: async ({ routing }) => {
        await routing.ensureRule(stale)
        await routing.ensureRule({ ...staleCp, to: '203.0.113.99/32', family: 4 })
        await routing.ensureRule(foreign)
        await routing.replaceRoute({ table: VOICE_TABLE + 3, dst: '10.7.0.0/16', dev: 'pt1-0' })
      },
    })
    const rules = await s.routing.rules()
    expect(rules).not.toContainEqual(stale)
    expect(rules.filter((r) => r.table === staleCp.table)).toEqual([])
    expect(rules).toContainEqual(foreign)
    expect(s.routing.table(VOICE_TABLE + 3)).toEqual([])
  })
})
