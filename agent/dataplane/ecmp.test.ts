import { describe, expect, test } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import type { ClassDecision } from '../decision'
import { silentLogger } from '../logger'
import { planSite } from '../plan/site-plan'
import { memoryRouting } from '../routing/memory'
import { EcmpSteering } from './ecmp'
import { ecmpMark, ecmpTable } from './ecmp-plan'

const KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
const uplink = (slot: number) => ({
  id: `u${slot}`,
  name: `wan${slot}`,
  slot,
  interface: `eth${slot}`,
  endpointHost: `198.18.0.${slot + 2}`,
  basePort: 51820,
  bandwidthMbps: 100,
  costPerGb: null,
  priority: 0,
})
const desired = {
  protocolVersion: 1,
  revision: 1,
  generatedAt: '2026-01-01T00:00:00Z',
  org: { id: 'o', topology: 'mesh' },
  site: {
    id: 'a',
    name: 'a',
    role: 'mesh',
    prefixes: ['10.1.0.0/24'],
    labels: {},
    overlayAddress: '10.255.0.1',
    overlayPool: '10.255.0.0/16',
  },
  agent: { id: 'ag' },
  uplinks: [uplink(0), uplink(1)],
  wireguard: { basePort: 51820, keepaliveSeconds: 1, mtu: 1420 },
  peers: [
    {
      siteId: 'b',
      siteName: 'b',
      role: 'mesh',
      agentId: 'agb',
      wireguardPublicKey: KEY,
      overlayAddress: '10.255.0.2',
      prefixes: ['10.2.0.0/24'],
      uplinks: [uplink(0)],
    },
  ],
  policies: [
    {
      id: 'p1',
      name: 'bulk',
      priority: 1,
      match: { ports: [5300] },
      action: { preference: 'load-balance' },
    },
  ],
  probes: { bfdIntervalMs: 100, bfdMultiplier: 3, probeIntervalMs: 100 },
  failover: { holdDownMs: 0, failbackAfterMs: 0, hysteresisPct: 0 },
  heartbeatIntervalSeconds: 30,
} as DesiredState

const decision = (slots: number[]): ClassDecision => ({
  classId: 'p1',
  peerSiteId: 'b',
  path: slots[0] === undefined ? null : { peerSiteId: 'b', localSlot: slots[0], remoteSlot: 0 },
  paths: slots.map((i) => ({
    path: { peerSiteId: 'b', localSlot: i, remoteSlot: 0 },
    weight: 1 / slots.length,
  })),
  reason: 'current_best',
  slaViolation: false,
  since: 0,
})

function fakes() {
  // One log for the routing calls and the bucket writes, to check their order.
  const routing = memoryRouting({ links: ['wg0-0', 'wg1-0'] })
  const log = routing.calls
  const balances: Record<number, number[]>[] = []
  const wiring = {
    async setBalance(marks: Record<number, number[]>) {
      log.push('buckets')
      balances.push(marks)
    },
  }
  const find = (start: string, end = '') =>
    log.findIndex((line) => line.startsWith(start) && line.endsWith(end))
  return { log, routing, wiring, balances, find, rules: () => routing.rules() }
}

describe('EcmpSteering', () => {
  test('rules and routes before the buckets; a leaving path is retired before they move', async () => {
    const f = fakes()
    const ecmp = new EcmpSteering({
      routing: f.routing,
      wiring: f.wiring,
      logger: silentLogger(),
      interfacePrefix: 'wg',
      mode: 'lab',
    })
    ecmp.setPlan(planSite(desired, { interfacePrefix: 'wg', mode: 'lab' }))
    await ecmp.update([decision([0, 1])])
    const t0 = ecmpTable(0, 0)
    const t1 = ecmpTable(0, 1)
    expect(f.log.indexOf('buckets')).toBeGreaterThan(f.find('ensure-rule', `lookup ${t1}`))
    expect(f.log.indexOf('buckets')).toBeGreaterThan(
      f.find(`replace-route table ${t1} 10.2.0.0/24 dev wg1-0`),
    )
    expect((await f.rules()).map((r) => r.fwmark).sort()).toEqual([ecmpMark(0, 0), ecmpMark(0, 1)])
    expect(new Set(f.balances[0]?.[0])).toEqual(new Set([ecmpMark(0, 0), ecmpMark(0, 1)]))

    // Unchanged decisions: no syscall, no bucket write.
    f.log.length = 0
    await ecmp.update([decision([0, 1])])
    expect(f.log).toEqual([])

    // Path 1 leaves: its table points at the primary first, then buckets, then it goes.
    await ecmp.update([decision([0])])
    const retire = f.find(`replace-route table ${t1} 10.2.0.0/24 dev wg0-0`)
    const buckets = f.log.indexOf('buckets')
    const removed = f.find('delete-rule', `lookup ${t1}`)
    expect(retire).toBeGreaterThanOrEqual(0)
    expect(buckets).toBeGreaterThan(retire)
    expect(removed).toBeGreaterThan(buckets)
    expect(f.find(`delete-route table ${t1} 10.2.0.0/24`)).toBeGreaterThan(buckets)
    expect((await f.rules()).map((r) => r.table)).toEqual([t0])

    // Close: buckets cleared first, then nothing of ours is left.
    f.log.length = 0
    await ecmp.close()
    expect(f.log[0]).toBe('buckets')
    expect(f.balances.at(-1)).toEqual({})
    expect(f.routing.dump()).toBe('link wg0-0 up\nlink wg1-0 up')
  })

  test('a crashed predecessor’s ECMP rules and routes are swept at the first update', async () => {
    const f = fakes()
    await f.routing.ensureRule({ priority: 1032, table: ecmpTable(3, 2), fwmark: ecmpMark(3, 2) })
    await f.routing.replaceRoute({ table: ecmpTable(3, 2), dst: '10.9.0.0/24', dev: 'wg0-0' })
    await f.routing.ensureRule({ priority: 1032, table: 7301, fwmark: 0x7301 })
    const ecmp = new EcmpSteering({
      routing: f.routing,
      wiring: f.wiring,
      logger: silentLogger(),
      interfacePrefix: 'wg',
      mode: 'lab',
    })
    ecmp.setPlan(planSite({ ...desired, policies: [] }, { interfacePrefix: 'wg', mode: 'lab' }))
    await ecmp.update([])
    expect(f.routing.dump()).toBe(
      'link wg0-0 up\nlink wg1-0 up\nrule 1032: fwmark 0x7301 lookup 7301',
    )
  })
})
