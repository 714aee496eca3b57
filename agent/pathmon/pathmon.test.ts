import { describe, expect, it } from 'vitest'
import { desiredState, peer } from '../testing/fixtures'
import { classRules } from './class-rules'
import { decisionEvent } from './events'
import { pathTargets } from './targets'

function twoByTwo() {
  const base = desiredState(1)
  const u0 = base.uplinks[0]
  if (!u0) throw new Error('fixture has no uplink')
  const mine = [u0, { ...u0, id: 'upl_2', slot: 1, endpointHost: '192.0.2.5' }]
  const theirs = [
    { ...u0, id: 'upl_b0', slot: 0, endpointHost: '198.51.100.1' },
    { ...u0, id: 'upl_b1', slot: 1, endpointHost: '198.51.100.5' },
  ]
  return { ...base, uplinks: mine, peers: [peer('site_b', { uplinks: theirs })] }
}

describe('pathTargets', () => {
  it('one target per (local uplink, peer uplink), probing uplink address to uplink address', () => {
    const d = twoByTwo()
    const { targets } = pathTargets(d, 'pt', (u) => u.endpointHost ?? undefined)
    expect(targets).toHaveLength(4)
    expect(targets[3]).toMatchObject({ localAddress: '192.0.2.5', remoteAddress: '198.51.100.5' })
    for (const t of targets) {
      expect(t.ifname).toBe(`pt${t.ref.localSlot}-${t.ref.remoteSlot}`)
      expect(t.key).toBe(`site_b/${t.ref.localSlot}/${t.ref.remoteSlot}`)
    }
  })

  it('skips paths without a local address', () => {
    const { targets, skipped } = pathTargets(twoByTwo(), 'pt', () => undefined)
    expect(targets).toEqual([])
    expect(skipped.length).toBeGreaterThan(0)
  })
})

describe('classRules', () => {
  const policy = (match: object) => ({
    id: 'pol_1',
    name: 'voice',
    priority: 10,
    match,
    action: { preference: 'lowest-latency' as const },
  })

  it('maps prefixes, protocols, ports and dscp to rule selectors (cross product)', () => {
    const r = classRules(
      policy({
        destinationPrefixes: ['10.20.0.0/16'],
        protocols: ['udp'],
        ports: [5060, '10000-20000'],
        dscp: [46],
      }) as never,
      2,
      7300,
      1042,
    )
    expect(r.table).toBe(7302)
    expect(r.rules).toEqual([
      {
        priority: 1042,
        table: 7302,
        family: 4,
        to: '10.20.0.0/16',
        ipproto: 17,
        dport: { start: 5060, end: 5060 },
        tos: 184,
      },
      {
        priority: 1042,
        table: 7302,
        family: 4,
        to: '10.20.0.0/16',
        ipproto: 17,
        dport: { start: 10000, end: 20000 },
        tos: 184,
      },
    ])
  })

  it('skips application-only policies (they need the eBPF classifier)', () => {
    const r = classRules(policy({ applications: ['zoom'] }) as never, 0, 7300, 1040)
    expect(r.rules).toEqual([])
    expect(r.skipped).toMatch(/eBPF classifier, run --lan-interface/)
  })
})

describe('decisionEvent', () => {
  it('turns failover into path.failover with from/to, and drops plain switches', () => {
    const from = { peerSiteId: 'b', localSlot: 0, remoteSlot: 0 }
    const to = { peerSiteId: 'b', localSlot: 1, remoteSlot: 0 }
    const e = decisionEvent({
      type: 'failover',
      at: 5.5,
      classId: 'default',
      peerSiteId: 'b',
      from,
      to,
      reason: 'path_down',
    })
    expect(e).toMatchObject({ type: 'path.failover', at: 5, class: 'default', path: to })
    expect(
      decisionEvent({
        type: 'switch',
        at: 1,
        classId: 'default',
        peerSiteId: 'b',
        from,
        to,
        reason: 'better',
      }),
    ).toBeUndefined()
  })
})
