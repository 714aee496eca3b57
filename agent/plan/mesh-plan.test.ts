import { describe, expect, test } from 'vitest'
import type { DesiredState, DesiredUplink } from '../../protocol/agent'
import { generateKeyPair } from '../tunnels/keys'
import { interfaceName, MeshPlanError, planMesh } from './mesh-plan'

const keys = [generateKeyPair(), generateKeyPair(), generateKeyPair()]

function uplinks(site: number, slots: number[]): DesiredUplink[] {
  return slots.map((slot) => ({
    id: `upl_${site}_${slot}`,
    name: `u${slot}`,
    slot,
    interface: `eth${slot}`,
    endpointHost: `198.18.${site}.${4 * slot + 2}`,
    basePort: 51820,
    bandwidthMbps: null,
    costPerGb: null,
    priority: slot,
  }))
}

function state(site: number, slotsBySite: number[][]): DesiredState {
  return {
    protocolVersion: 1,
    revision: 1,
    generatedAt: '1970-01-01T00:00:00.000Z',
    org: { id: 'org_x', topology: 'mesh' },
    site: {
      id: `site_${site}`,
      name: `s${site}`,
      role: 'mesh',
      prefixes: [`10.10.${site}.0/24`],
      labels: {},
      overlayAddress: `10.255.0.${site + 1}`,
      overlayPool: '10.255.0.0/16',
    },
    agent: { id: `agt_${site}` },
    uplinks: uplinks(site, slotsBySite[site] ?? []),
    wireguard: { basePort: 51820, keepaliveSeconds: 1, mtu: 1420 },
    peers: slotsBySite
      .map((slots, other) => ({ slots, other }))
      .filter(({ other }) => other !== site)
      .map(({ slots, other }) => ({
        siteId: `site_${other}`,
        siteName: `s${other}`,
        role: 'mesh' as const,
        agentId: `agt_${other}`,
        wireguardPublicKey: keys[other]?.publicKey ?? '',
        overlayAddress: `10.255.0.${other + 1}`,
        prefixes: [`10.10.${other}.7/24`],
        uplinks: uplinks(other, slots),
      })),
    policies: [],
    applications: [],
    probes: { bfdIntervalMs: 50, bfdMultiplier: 3, probeIntervalMs: 50 },
    failover: { holdDownMs: 0, failbackAfterMs: 0, hysteresisPct: 0 },
    heartbeatIntervalSeconds: 30,
  }
}

describe('planMesh', () => {
  test('one interface per (local slot, remote slot), ports base + 16i + j, fwmark per uplink', () => {
    const plan = planMesh(state(0, [[0, 1], [0, 1], [0]]), { interfacePrefix: 'wg-', mode: 'lab' })
    expect(plan.interfaces.map((i) => [i.name, i.listenPort, i.fwmark])).toEqual([
      ['wg-0-0', 51820, 0x7100],
      ['wg-0-1', 51821, 0x7100],
      ['wg-1-0', 51836, 0x7101],
      ['wg-1-1', 51837, 0x7101],
    ])
    for (const iface of plan.interfaces) expect(iface.address).toBe('10.255.0.1/32')
  })

  test("endpoints point at the peer's wg-j-i, and pairings are symmetric on both ends", () => {
    const topology = [[0, 1], [0, 1], [0]]
    const plans = [0, 1, 2].map((s) =>
      planMesh(state(s, topology), { interfacePrefix: `s${s}-`, mode: 'lab' }),
    )
    for (let a = 0; a < 3; a++) {
      for (const iface of plans[a]?.interfaces ?? []) {
        for (const peer of iface.peers) {
          const b = Number(peer.siteId.slice(-1))
          const mirror = plans[b]?.interfaces.find(
            (x) => x.localSlot === iface.remoteSlot && x.remoteSlot === iface.localSlot,
          )
          expect(mirror).toBeDefined()
          expect(peer.endpoint).toBe(
            `198.18.${b}.${4 * iface.remoteSlot + 2}:${mirror?.listenPort}`,
          )
          // ...and the mirror interface has us as a peer, pointing back at this interface.
          const back = mirror?.peers.find((p) => p.siteId === `site_${a}`)
          expect(back?.endpoint).toBe(`198.18.${a}.${4 * iface.localSlot + 2}:${iface.listenPort}`)
        }
      }
    }
  })

  test('a peer with fewer uplinks has no entry on the slots it lacks', () => {
    const plan = planMesh(state(0, [[0, 1], [0, 1], [0]]), { interfacePrefix: 'wg-', mode: 'lab' })
    const on = (name: string) =>
      plan.interfaces.find((i) => i.name === name)?.peers.map((p) => p.siteId)
    expect(on('wg-0-0')).toEqual(['site_1', 'site_2'])
    expect(on('wg-0-1')).toEqual(['site_1'])
    expect(on('wg-1-1')).toEqual(['site_1'])
  })

  test('allowed IPs are the normalised peer prefixes plus the overlay /32; routes use the lowest slots', () => {
    const plan = planMesh(state(1, [[1, 2], [3, 0], [2]]), { interfacePrefix: 'wg-', mode: 'prod' })
    const peer = plan.interfaces[0]?.peers[0]
    expect(peer?.allowedIps).toEqual(['10.10.0.0/24', '10.255.0.1/32'])
    expect(plan.routes).toEqual([
      { dst: '10.10.0.0/24', table: 7200, dev: 'wg-0-1' },
      { dst: '10.255.0.1/32', table: 7200, dev: 'wg-0-1' },
      { dst: '10.10.2.0/24', table: 7200, dev: 'wg-0-2' },
      { dst: '10.255.0.3/32', table: 7200, dev: 'wg-0-2' },
    ])
  })

  test('rules: fwmark per uplink, from rules only in lab mode, then the mesh table', () => {
    const lab = planMesh(state(0, [[0, 1], [0]]), { interfacePrefix: 'wg-', mode: 'lab' })
    expect(lab.rules).toEqual([
      { priority: 1000, table: 7100, fwmark: 0x7100 },
      { priority: 1001, table: 7101, fwmark: 0x7101 },
      { priority: 1016, table: 7100, from: '198.18.0.2/32' },
      { priority: 1017, table: 7101, from: '198.18.0.6/32' },
      { priority: 1100, table: 7200 },
    ])
    const prod = planMesh(state(0, [[0, 1], [0]]), { interfacePrefix: 'wg-', mode: 'prod' })
    expect(prod.rules.some((r) => r.from)).toBe(false)
  })

  test('is pure and deterministic whatever the order of peers and uplinks', () => {
    const a = state(0, [[0, 1], [1, 0], [0]])
    const b = structuredClone(a)
    b.peers.reverse()
    b.uplinks.reverse()
    for (const p of b.peers) p.uplinks.reverse()
    const options = { interfacePrefix: 'wg-', mode: 'lab' as const }
    expect(planMesh(b, options)).toEqual(planMesh(a, options))
    expect(planMesh(a, options)).toEqual(planMesh(a, options))
  })

  test('slots are hex so every name is the prefix plus 3 characters; bad prefixes are refused', () => {
    expect(interfaceName('pt-ab12-0w', 15, 10)).toBe('pt-ab12-0wf-a')
    expect(() =>
      planMesh(state(0, [[0], [0]]), { interfacePrefix: 'x'.repeat(13), mode: 'lab' }),
    ).toThrow(MeshPlanError)
    const dup = state(0, [[0], [0]])
    dup.uplinks.push({ ...(dup.uplinks[0] as DesiredUplink), id: 'other' })
    expect(() => planMesh(dup, { interfacePrefix: 'wg-', mode: 'lab' })).toThrow(/slot 0/)
  })
})
