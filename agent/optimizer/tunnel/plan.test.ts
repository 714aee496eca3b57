import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OPTIMIZER_TUN_MTU } from '../../../protocol/optimizer'
import { desiredState, peer } from '../../testing/fixtures'
import { ipv4Destination, ipv4Source, ipv4ToNumber, PrefixTable } from './ipv4'
import {
  OPTIMIZER_MARK_RULE_PRIORITY,
  OPTIMIZER_RULE_PRIORITY_BASE,
  OPTIMIZER_TABLE_BASE,
  planTunnel,
} from './plan'

const policy = (name: string, priority: number, action: object, match: object) => ({
  id: `pol_${name}`,
  name,
  priority,
  match,
  action: { preference: 'lowest-latency', ...action },
})

function withPolicies(policies: object[]) {
  return desiredState(1, {
    policies: policies as never,
    peers: [
      peer('site_b', { overlayAddress: '100.64.0.2', prefixes: ['10.2.0.0/16', '2001:db8::/48'] }),
      peer('site_c', { overlayAddress: '100.64.0.3', prefixes: ['10.3.0.0/16'] }),
    ],
  })
}

describe('planTunnel', () => {
  it('plans a TUN, a table, match and mark rules for each class with fec or compression', () => {
    const plan = planTunnel(
      withPolicies([
        policy('web', 5, {}, { protocols: ['tcp'], ports: [443] }),
        policy('voice', 10, { fec: true }, { protocols: ['udp'], ports: [5004] }),
        policy('bulk', 20, { compression: true, fec: false }, { applications: ['backup'] }),
      ]),
      { interfacePrefix: 'pw' },
    )
    // Class numbers follow policy priority order: web 0, voice 1, bulk 2.
    expect(
      plan.classes.map((c) => [c.name, c.index, c.tun, c.table, c.fec, c.compression]),
    ).toEqual([
      ['voice', 1, 'pwo1', OPTIMIZER_TABLE_BASE + 1, true, false],
      ['bulk', 2, 'pwo2', OPTIMIZER_TABLE_BASE + 2, false, true],
    ])
    expect(plan.classes[0]?.rules).toEqual([
      {
        priority: OPTIMIZER_RULE_PRIORITY_BASE + 1,
        table: OPTIMIZER_TABLE_BASE + 1,
        family: 4,
        ipproto: 17,
        dport: { start: 5004, end: 5004 },
      },
    ])
    // Applications only: no match rule, the classifier's mark leads there.
    expect(plan.classes[1]?.rules).toEqual([])
    expect(plan.classes[1]?.markRule).toEqual({
      priority: OPTIMIZER_MARK_RULE_PRIORITY,
      table: OPTIMIZER_TABLE_BASE + 2,
      fwmark: 0x7302,
      family: 4,
    })
    expect(plan.warnings.some((w) => w.includes('bulk'))).toBe(true)
    // Peer LAN prefixes (IPv4) only, never the overlay addresses.
    expect(plan.routes.filter((r) => r.dev === 'pwo1').map((r) => r.dst)).toEqual([
      '10.2.0.0/16',
      '10.3.0.0/16',
    ])
    expect(plan.routes.some((r) => r.dst.startsWith('100.64.'))).toBe(false)
    // Every rule is before the mesh plan's range (1000-1100).
    expect(plan.rules.every((r) => r.priority < 1000)).toBe(true)
    expect(plan.receiveTun).toBe('pwor')
    expect(plan.tunMtu).toBe(OPTIMIZER_TUN_MTU)
  })

  it('plans nothing for classes without fec or compression', () => {
    const plan = planTunnel(
      withPolicies([policy('voice', 10, { fec: false }, { protocols: ['udp'] })]),
      { interfacePrefix: 'pw' },
    )
    expect(plan.classes).toEqual([])
    expect(plan.routes).toEqual([])
    expect(plan.rules).toEqual([])
  })

  it('keeps TUN names within 15 characters for the longest prefix', () => {
    const policies = Array.from({ length: 16 }, (_, k) =>
      policy(`p${k}`, k + 1, { fec: true }, { ports: [1000 + k] }),
    )
    const plan = planTunnel(withPolicies(policies), { interfacePrefix: 'abcdefghijkl' })
    expect(plan.classes).toHaveLength(16)
    for (const c of plan.classes) expect(c.tun.length).toBeLessThanOrEqual(15)
    expect(plan.receiveTun.length).toBeLessThanOrEqual(15)
  })
})

describe('PrefixTable and IPv4 fields', () => {
  it('finds the longest matching prefix', () => {
    const t = new PrefixTable<string>()
    t.set([
      { cidr: '10.0.0.0/8', value: 'wide' },
      { cidr: '10.2.0.0/16', value: 'narrow' },
      { cidr: '2001:db8::/32', value: 'v6' },
    ])
    expect(t.size).toBe(2)
    expect(t.lookup(ipv4ToNumber('10.2.3.4') ?? 0)).toBe('narrow')
    expect(t.lookup(ipv4ToNumber('10.9.3.4') ?? 0)).toBe('wide')
    expect(t.lookup(ipv4ToNumber('192.0.2.1') ?? 0)).toBeUndefined()
  })

  it('reads source and destination of IPv4 packets and refuses anything else', () => {
    const packet = new Uint8Array(20)
    packet[0] = 0x45
    packet.set([10, 2, 0, 7], 12)
    packet.set([10, 3, 0, 9], 16)
    expect(ipv4Source(packet)).toBe(ipv4ToNumber('10.2.0.7'))
    expect(ipv4Destination(packet)).toBe(ipv4ToNumber('10.3.0.9'))
    expect(ipv4Destination(packet.subarray(0, 19))).toBeUndefined()
    packet[0] = 0x60
    expect(ipv4Destination(packet)).toBeUndefined()
  })

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const d = ipv4Destination(bytes)
        const s = ipv4Source(bytes)
        expect(d === undefined || (d >= 0 && d <= 0xffffffff)).toBe(true)
        expect(s === undefined || (s >= 0 && s <= 0xffffffff)).toBe(true)
      }),
    )
  })
})
