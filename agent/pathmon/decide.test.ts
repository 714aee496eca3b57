import { describe, expect, it } from 'vitest'
import type { DesiredState, DesiredUplink } from '../../protocol/agent'
import { FakeClock } from '../clock/fake'
import { silentLogger } from '../logger'
import { MESH_DEFAULTS } from '../plan/mesh-plan'
import { planSite } from '../plan/site-plan'
import { memoryRouting } from '../routing/memory'
import { desiredState, peer } from '../testing/fixtures'
import { ControlPlaneRule } from './control-plane-rule'
import { PathDecider } from './decide'
import type { UplinkState } from './report'

const planOf = (desired: DesiredState) => planSite(desired, { interfacePrefix: 'pt', mode: 'lab' })
const MESH = MESH_DEFAULTS.meshTable
const CLASS_BASE = MESH_DEFAULTS.classTableBase

const uplink = (slot: number, host: string): DesiredUplink => ({
  id: `upl_${slot}`,
  name: `uplink-${slot}`,
  slot,
  interface: `eth${slot}`,
  endpointHost: host,
  basePort: 51820,
  bandwidthMbps: null,
  costPerGb: null,
  priority: 0,
})

const policy = (k: number) => ({
  id: `pol_${k}`,
  name: `class-${k}`,
  priority: k,
  match: { destinationPrefixes: [`10.9.${k}.0/24`] },
  action: { preference: 'lowest-latency' as const },
})

function twoPaths(policies: DesiredState['policies'] = [policy(0)]): DesiredState {
  return desiredState(1, {
    uplinks: [uplink(0, '192.0.2.1'), uplink(1, '192.0.2.5')],
    peers: [peer('site_b', { uplinks: [uplink(0, '198.51.100.1')] })],
    policies,
  })
}

function decider(logger = silentLogger()) {
  const routing = memoryRouting({ links: ['pt0-0', 'pt1-0'] })
  const clock = new FakeClock()
  const d = new PathDecider({ clock, routing, interfacePrefix: 'pt', mode: 'lab', logger })
  const up = new Set(['site_b/0/0', 'site_b/1/0'])
  const monitored = new Set(['site_b/0/0', 'site_b/1/0'])
  const evaluate = async () => {
    const result = d.decide({ monitored, quality: [], isUp: (k) => up.has(k) })
    await d.apply(() => new Map())
    return result
  }
  return { routing, clock, d, up, monitored, evaluate }
}

describe('PathDecider', () => {
  it('routes every class over its path and moves it at once when that path is down', async () => {
    const f = decider()
    f.d.reconfig(planOf(twoPaths()))
    const first = await f.evaluate()
    expect(first?.decisions.map((x) => [x.classId, x.path?.localSlot])).toEqual([
      ['pol_0', 0],
      ['default', 0],
    ])
    expect(f.d.routeDevice('site_b')).toBe('pt0-0')
    expect(f.routing.table(MESH)).toEqual(['10.9.0.0/16 pt0-0', '100.64.0.9/32 pt0-0'])
    expect(f.routing.table(CLASS_BASE)).toEqual(['10.9.0.0/16 pt0-0', '100.64.0.9/32 pt0-0'])
    expect(await f.routing.rules()).toEqual([
      { priority: 1040, table: CLASS_BASE, family: 4, to: '10.9.0.0/24' },
    ])

    f.up.delete('site_b/0/0')
    const second = await f.evaluate()
    expect(second?.events.map((e) => [e.type, e.classId, e.to?.localSlot, e.reason])).toEqual([
      ['failover', 'pol_0', 1, 'path_down'],
      ['failover', 'default', 1, 'path_down'],
    ])
    expect(f.routing.table(MESH)).toEqual(['10.9.0.0/16 pt1-0', '100.64.0.9/32 pt1-0'])
    expect(f.routing.table(CLASS_BASE)).toEqual(['10.9.0.0/16 pt1-0', '100.64.0.9/32 pt1-0'])
  })

  it('counts a path that is not monitored as down', async () => {
    const f = decider()
    f.d.reconfig(planOf(twoPaths()))
    f.monitored.delete('site_b/0/0')
    await f.evaluate()
    expect(f.d.routeDevice('site_b')).toBe('pt1-0')
  })

  it('rewrites the mesh table after the mesh engine reset it, only when told to', async () => {
    const f = decider()
    f.d.reconfig(planOf(twoPaths()))
    await f.evaluate()
    for (const r of await f.routing.routes(MESH)) await f.routing.deleteRoute(r)
    await f.evaluate()
    // Unchanged decisions cost no syscall: the cache still believes the routes are there.
    expect(f.routing.table(MESH)).toEqual([])
    f.d.forgetMeshRoutes()
    await f.evaluate()
    expect(f.routing.table(MESH)).toEqual(['10.9.0.0/16 pt0-0', '100.64.0.9/32 pt0-0'])
  })

  it('steers at most 16 policy classes; the plan says so for the rest', async () => {
    const f = decider()
    const policies = Array.from({ length: 17 }, (_, k) => policy(k))
    const plan = planOf(twoPaths(policies))
    f.d.reconfig(plan)
    f.d.reconfig(plan)
    await f.evaluate()
    expect(f.routing.table(CLASS_BASE + 15)).not.toEqual([])
    expect(f.routing.table(CLASS_BASE + 16)).toEqual([])
    expect((await f.routing.rules()).map((r) => r.table)).not.toContain(CLASS_BASE + 16)
    expect(plan.warnings.filter((w) => /class-16: more than 16 classes/.test(w))).toHaveLength(1)
  })

  it('tells decision listeners after the routes are applied, and survives a failing one', async () => {
    const f = decider()
    f.d.reconfig(planOf(twoPaths()))
    const seen: string[][] = []
    f.d.onDecisions(async () => {
      throw new Error('listener broke')
    })
    const off = f.d.onDecisions(async () => void seen.push(f.routing.table(MESH)))
    await f.evaluate()
    expect(seen).toEqual([['10.9.0.0/16 pt0-0', '100.64.0.9/32 pt0-0']])
    off()
    await f.evaluate()
    expect(seen).toHaveLength(1)
  })
})

describe('ControlPlaneRule', () => {
  const states = (entries: [number, UplinkState][]) => new Map(entries)
  const make = (address: string | undefined) =>
    new ControlPlaneRule({ address, priority: 1101, uplinkTableBase: 7100, logger: silentLogger() })

  it('stays on its uplink while it is up, else moves to the lowest uplink that is up', () => {
    const rule = make('203.0.113.10')
    const tableOf = (s: Map<number, UplinkState>) => rule.rules(s).map((r) => r.table)
    expect(tableOf(states([[0, 'unknown']]))).toEqual([])
    expect(
      tableOf(
        states([
          [0, 'down'],
          [1, 'up'],
          [2, 'up'],
        ]),
      ),
    ).toEqual([7101])
    // Uplink 0 recovers: no move back while uplink 1 is still up.
    expect(
      tableOf(
        states([
          [0, 'up'],
          [1, 'up'],
        ]),
      ),
    ).toEqual([7101])
    expect(
      tableOf(
        states([
          [0, 'up'],
          [1, 'down'],
        ]),
      ),
    ).toEqual([7100])
    expect(rule.rules(states([[0, 'up']]))).toEqual([
      { priority: 1101, table: 7100, to: '203.0.113.10/32', family: 4 },
    ])
  })

  it('has no rule without an IPv4 control plane address', () => {
    expect(make(undefined).rules(states([[0, 'up']]))).toEqual([])
    expect(make('2001:db8::1').rules(states([[0, 'up']]))).toEqual([])
  })
})
