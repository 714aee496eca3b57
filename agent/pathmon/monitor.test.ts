/**
 * The path monitor end to end without root: two sites, each a real PathMonitor, over an
 * in-memory underlay (BFD and quality probes), in-memory routing and a fake WireGuard
 * backend, on one fake clock. Site A has two uplinks and site B one, so A has two paths to
 * B and a class can fail over between them.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { DesiredState, DesiredUplink } from '../../protocol/agent'
import type { AgentEvent } from '../../protocol/telemetry'
import { FakeClock, settle } from '../clock/fake'
import type { ClassDecision } from '../decision'
import { MESH_DEFAULTS } from '../engine/mesh-plan'
import { silentLogger } from '../logger'
import { QUALITY_PROBE_PORT } from '../probes/quality'
import { desiredState, peer } from '../testing/fixtures'
import { generateKeyPair } from '../tunnels/keys'
import { withPathMonitor } from './engine'
import { EVENT_QUEUE_MAX, PathMonitor, type PathMonitorOptions } from './monitor'
import type { PathPredictions } from './predictions'
import {
  captureLogger,
  countingClock,
  FakeWireGuard,
  MemoryRouting,
  MemoryUnderlay,
} from './testing'

const A0 = '192.0.2.1'
const A1 = '192.0.2.5'
const B0 = '198.51.100.1'
const CONTROL_PLANE = '203.0.113.10'
const BFD_MS = 50
const BFD_MULT = 3
/** Far above BFD detection, so a failover within it can only come from the BFD event. */
const PROBE_INTERVAL_MS = 1_000
const MESH = MESH_DEFAULTS.meshTable
const VOICE_TABLE = MESH_DEFAULTS.classTableBase
const CLASS_RULE_PRIORITY = MESH_DEFAULTS.rulePriorityBase + 40
const CP_RULE_PRIORITY = MESH_DEFAULTS.rulePriorityBase + 101

const uplink = (id: string, slot: number, host: string): DesiredUplink => ({
  id,
  name: `uplink-${slot}`,
  slot,
  interface: `eth${slot}`,
  endpointHost: host,
  basePort: 51820,
  bandwidthMbps: null,
  costPerGb: null,
  priority: 0,
})

const voice = {
  id: 'pol_voice',
  name: 'voice',
  priority: 10,
  match: { destinationPrefixes: ['10.9.1.0/24'] },
  action: { preference: 'lowest-latency' as const },
}

/** Each site's desired state: A (two uplinks) and B (one), peers of each other. */
function desiredStates(keys: { a: string; b: string }, policies: DesiredState['policies']) {
  const aUplinks = [uplink('upl_a0', 0, A0), uplink('upl_a1', 1, A1)]
  const bUplinks = [uplink('upl_b0', 0, B0)]
  const probes = { bfdIntervalMs: 100, bfdMultiplier: 3, probeIntervalMs: PROBE_INTERVAL_MS }
  const a = desiredState(1, {
    probes,
    uplinks: aUplinks,
    peers: [peer('site_b', { wireguardPublicKey: keys.b, uplinks: bUplinks })],
    policies,
  })
  const b = desiredState(1, {
    probes,
    site: { ...a.site, id: 'site_b', name: 'branch', prefixes: ['10.9.0.0/16'] },
    uplinks: bUplinks,
    peers: [
      peer('site_1', {
        wireguardPublicKey: keys.a,
        uplinks: aUplinks,
        prefixes: ['10.1.0.0/16'],
        overlayAddress: '100.64.0.1',
      }),
    ],
    policies,
  })
  return { a, b }
}

const open: PathMonitor[] = []

afterEach(async () => {
  for (const m of open.splice(0)) await m.close().catch(() => {})
})

interface SiteOptions {
  policies?: DesiredState['policies']
  configure?: (monitor: PathMonitor) => void
  /** Runs before the first reconfig (what a predecessor left, links cut from the start). */
  prepare?: (f: { routing: MemoryRouting; underlay: MemoryUnderlay }) => Promise<void>
  options?: Partial<PathMonitorOptions>
}

async function twoSites(o: SiteOptions = {}) {
  const clock = new FakeClock()
  const underlay = new MemoryUnderlay(clock)
  const keyA = generateKeyPair()
  const keyB = generateKeyPair()
  const desired = desiredStates({ a: keyA.publicKey, b: keyB.publicKey }, o.policies ?? [voice])
  const wgA = new FakeWireGuard()
  for (const ifname of ['pt0-0', 'pt1-0']) wgA.setPeers(ifname, [keyB.publicKey], 0)
  const wgB = new FakeWireGuard()
  for (const ifname of ['pt0-0', 'pt0-1']) wgB.setPeers(ifname, [keyA.publicKey], 0)
  const common = {
    interfacePrefix: 'pt',
    mode: 'lab' as const,
    bfd: { intervalMs: BFD_MS, multiplier: BFD_MULT },
    openBfd: underlay.openBfd,
    probeSockets: underlay.probeSockets,
  }
  const peerMonitor = new PathMonitor({
    ...common,
    clock,
    routing: new MemoryRouting(),
    backend: wgB,
    privateKey: keyB.privateKey,
    logger: silentLogger(),
  })
  open.push(peerMonitor)
  const clockA = countingClock(clock)
  const routing = new MemoryRouting()
  const { logger, lines } = captureLogger()
  const monitor = new PathMonitor({
    ...common,
    clock: clockA,
    routing,
    backend: wgA,
    privateKey: keyA.privateKey,
    logger,
    controlPlaneAddress: CONTROL_PLANE,
    ...o.options,
  })
  open.push(monitor)
  o.configure?.(monitor)
  await o.prepare?.({ routing, underlay })
  await peerMonitor.reconfig(desired.b)
  await monitor.reconfig(desired.a)
  /** Moves time in small steps, letting packets and evaluations run between them. */
  const run = async (ms: number, step = 10) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step)
      await settle()
    }
  }
  /** Runs until `done()` holds (at most `maxMs`); returns the time it took. */
  const runUntil = async (done: () => boolean, maxMs: number, step = 5) => {
    const start = clock.now()
    while (!done() && clock.now() - start < maxMs) {
      clock.advance(step)
      await settle()
    }
    return clock.now() - start
  }
  return { clock, clockA, underlay, routing, monitor, peerMonitor, wgA, lines, run, runUntil }
}

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
        await routing.replaceRoute({ table: VOICE_TABLE + 3, dst: '10.7.0.0/16', dev: 'pt9-9' })
      },
    })
    const rules = await s.routing.rules()
    expect(rules).not.toContainEqual(stale)
    expect(rules.filter((r) => r.table === staleCp.table)).toEqual([])
    expect(rules).toContainEqual(foreign)
    expect(s.routing.table(VOICE_TABLE + 3)).toEqual([])
  })
})

describe('PathMonitor.close', () => {
  it('stops its timers, closes its sockets and removes its class rules and routes', async () => {
    const s = await twoSites()
    await s.run(3_000)
    expect(s.routing.table(VOICE_TABLE)).not.toEqual([])
    await s.monitor.close()

    expect(s.clockA.pending).toBe(0)
    expect(s.underlay.bfdBound).toEqual([B0])
    // The responder's port is free again.
    const socket = await s.underlay.probeSockets.bind({
      address: A0,
      port: QUALITY_PROBE_PORT,
      onMessage: () => {},
    })
    await socket.close()
    expect(await s.routing.rules()).toEqual([])
    expect(s.routing.table(VOICE_TABLE)).toEqual([])
    // The mesh table belongs to the mesh engine, which removes it on its own close.
    expect(s.routing.table(MESH)).not.toEqual([])
    // Nothing runs after close.
    const before = s.monitor.decisions
    await s.run(1_000)
    expect(s.monitor.decisions).toBe(before)
  })

  it('goes on with every step when one throws, then reports the failure', async () => {
    const s = await twoSites()
    await s.run(3_000)
    s.underlay.failClose = 'bfd transport close failed'
    await expect(s.monitor.close()).rejects.toThrow(/bfd transport close failed/)
    expect(await s.routing.rules()).toEqual([])
    expect(s.routing.table(VOICE_TABLE)).toEqual([])
    expect(s.clockA.pending).toBe(0)
  })

  it('reports a routing failure while removing class routing, after trying the rest', async () => {
    const s = await twoSites()
    await s.run(3_000)
    s.routing.failNext('deleteRule', 'netlink: operation not permitted')
    await expect(s.monitor.close()).rejects.toThrow(/operation not permitted/)
    expect(s.clockA.pending).toBe(0)
    expect(s.underlay.bfdBound).toEqual([B0])
  })
})

describe('withPathMonitor', () => {
  it('closes the mesh even when the monitor fails to close, then reports the failure', async () => {
    const s = await twoSites()
    await s.run(1_000)
    const closed: string[] = []
    const mesh = {
      reconfig: async () => {},
      close: async () => void closed.push('mesh'),
    }
    s.underlay.failClose = 'bfd transport close failed'
    await expect(withPathMonitor(mesh, s.monitor).close()).rejects.toThrow(/bfd transport/)
    expect(closed).toEqual(['mesh'])
  })
})
