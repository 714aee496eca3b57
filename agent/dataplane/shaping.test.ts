import { describe, expect, test } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import type { CommandRunner } from '../bpf/exec'
import { createLogger } from '../logger'
import { planSite } from '../plan/site-plan'
import { ifbName, SHAPING_FILTER_PREF, UplinkShaper } from './shaping'

const KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='

function desired(withQos = true): DesiredState {
  const uplink = (slot: number, bandwidthMbps: number | null) => ({
    id: `u${slot}`,
    name: `wan${slot}`,
    slot,
    interface: `eth${slot}`,
    endpointHost: `198.18.0.${slot + 2}`,
    basePort: 51820,
    bandwidthMbps,
    costPerGb: null,
    priority: 0,
  })
  return {
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
    uplinks: [uplink(0, 40), uplink(1, null)],
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
        uplinks: [uplink(0, 100), uplink(1, 100)],
      },
    ],
    policies: [
      {
        id: 'p2',
        name: 'bulk',
        priority: 20,
        match: { ports: [5202] },
        action: { preference: 'lowest-cost' },
      },
      {
        id: 'p1',
        name: 'voice',
        priority: 10,
        match: { ports: [5201] },
        action: {
          preference: 'lowest-latency',
          ...(withQos ? { qos: { rateMbps: 8, priority: 0, burstBytes: 20_000 } } : {}),
        },
      },
    ],
    applications: [],
    probes: { bfdIntervalMs: 100, bfdMultiplier: 3, probeIntervalMs: 100 },
    failover: { holdDownMs: 0, failbackAfterMs: 0, hysteresisPct: 0 },
    heartbeatIntervalSeconds: 30,
  }
}

describe('planShaping (through planSite)', () => {
  test('one HTB tree per uplink with a bandwidth; classes in policy priority order', () => {
    const { uplinks, warnings } = planSite(desired(), {
      interfacePrefix: 'wg',
      mode: 'lab',
    }).shaping
    expect(warnings).toEqual(['uplink wan1: no bandwidthMbps, not shaped'])
    expect(uplinks).toEqual([
      {
        slot: 0,
        ifb: 'wgq0',
        rateMbit: 40,
        defaultRateMbit: 32,
        classes: [{ classId: 0, rateMbit: 8, ceilMbit: 40, prio: 0, burstBytes: 20_000 }],
        tunnels: ['wg0-0', 'wg0-1'],
      },
    ])
  })

  test('no policy with qos: nothing is shaped', () => {
    expect(
      planSite(desired(false), { interfacePrefix: 'wg', mode: 'lab' }).shaping.uplinks,
    ).toEqual([])
  })

  test('ifb names stay within 15 characters for the lab prefix', () => {
    expect(ifbName('pt-abcd-0w', 15).length).toBeLessThanOrEqual(15)
  })
})

describe('UplinkShaper', () => {
  test('builds the tree on the ifb, redirects each tunnel once, removes everything on close', async () => {
    const calls: string[] = []
    const present = new Set(['wg0-0', 'wg0-1'])
    const clsact = new Set<string>()
    const run: CommandRunner = async (cmd, args) => {
      const line = `${cmd} ${args.join(' ')}`
      calls.push(line)
      const dev = args[args.indexOf('dev') + 1] ?? ''
      if (line.includes('-j qdisc show')) {
        if (!present.has(dev)) return { stdout: '', stderr: '' }
        return { stdout: JSON.stringify(clsact.has(dev) ? [{ kind: 'clsact' }] : []), stderr: '' }
      }
      if (line.includes('qdisc add') && line.includes('clsact')) clsact.add(dev)
      if (line.includes('-j filter show'))
        return { stdout: JSON.stringify([{ pref: SHAPING_FILTER_PREF }]), stderr: '' }
      if (line.startsWith('ip link show')) throw new Error('does not exist')
      return { stdout: '', stderr: '' }
    }
    const shaper = new UplinkShaper({
      interfacePrefix: 'wg',
      mode: 'lab',
      objectPath: '/x/qos.o',
      logger: createLogger('silent'),
      run,
    })
    await shaper.reconfig(planSite(desired(), { interfacePrefix: 'wg', mode: 'lab' }).shaping)
    expect(calls).toContain('ip link add wgq0 type ifb')
    expect(
      calls.some((c) =>
        c.includes('class replace dev wgq0 parent 1:1 classid 1:10 htb rate 8mbit'),
      ),
    ).toBe(true)
    expect(calls.filter((c) => c.includes('mirred egress redirect dev wgq0'))).toHaveLength(2)
    // Where the kernel has fq_codel (this fake accepts it) every leaf gets one.
    expect(calls.filter((c) => c.includes('fq_codel')).map((c) => c.split(' ').at(-2))).toEqual([
      '1:10',
      '1:ff',
    ])
    calls.length = 0
    await shaper.reconfig(planSite(desired(), { interfacePrefix: 'wg', mode: 'lab' }).shaping)
    // Unchanged: no tree rebuilt, no redirect added again.
    expect(calls.some((c) => c.includes('class replace') || c.includes('filter add'))).toBe(false)
    calls.length = 0
    await shaper.close()
    expect(calls).toContain('ip link del wgq0')
    expect(
      calls.filter((c) => c.includes('qdisc del dev wg0-') && c.includes('clsact')),
    ).toHaveLength(2)
  })
})
