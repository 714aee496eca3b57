/**
 * The whole pipeline without root, in the style of Tailscale's router tests: drive it
 * (mesh stages, the real path monitor, classifier, data plane, optimizer, over the memory
 * fakes and a fake clock) through sequences of desired states and compare the host's state
 * (routes, rules, WireGuard devices, classifier tables, sysctls) after each step.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import { desiredState, peer } from '../testing/fixtures'
import { type SiteWorld, siteWorld } from './testing'

// Counts planMesh: the plan must be computed once per reconfig, whatever the stages.
const planMeshCalls = vi.hoisted(() => ({ count: 0 }))
vi.mock('../plan/mesh-plan', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../plan/mesh-plan')>()
  return {
    ...actual,
    planMesh: (...args: Parameters<typeof actual.planMesh>) => {
      planMeshCalls.count++
      return actual.planMesh(...args)
    },
  }
})

const uplink = (slot: number, host: string) => ({
  id: `upl_${slot}`,
  name: `wan${slot}`,
  slot,
  interface: `eth${slot}`,
  endpointHost: host,
  basePort: 51820,
  bandwidthMbps: 100,
  costPerGb: null,
  priority: 0,
})

const siteB = peer('site_b', {
  overlayAddress: '127.0.0.2',
  prefixes: ['10.2.0.0/16'],
  uplinks: [uplink(0, '203.0.113.2'), uplink(1, '203.0.113.3')],
})
const siteC = peer('site_c', {
  overlayAddress: '127.0.0.3',
  prefixes: ['10.3.0.0/16'],
  uplinks: [uplink(0, '203.0.113.4')],
})

const base = desiredState(1, {
  site: { ...desiredState(1).site, overlayAddress: '127.0.0.1', prefixes: ['10.1.0.0/16'] },
  uplinks: [uplink(0, '192.0.2.1'), uplink(1, '198.51.100.1')],
  peers: [siteB],
})

/** The steps of the sequence, each a whole desired state (the agent always gets whole ones). */
const STATES = {
  base,
  addSite: { ...base, revision: 2, peers: [siteB, siteC] },
  dropUplink: { ...base, revision: 3, uplinks: [uplink(0, '192.0.2.1')] },
  changePolicy: {
    ...base,
    revision: 4,
    policies: [
      {
        id: 'pol_voice',
        name: 'voice',
        priority: 10,
        match: { protocols: ['udp'], ports: [5004] },
        action: { preference: 'lowest-latency', fec: true, compression: true },
      },
      {
        id: 'pol_web',
        name: 'web',
        priority: 20,
        match: { applications: ['zoom'] },
        action: { preference: 'lowest-latency' },
      },
    ],
  },
} satisfies Record<string, DesiredState>
type StepName = keyof typeof STATES

const worlds: SiteWorld[] = []
function world(): SiteWorld {
  const w = siteWorld()
  worlds.push(w)
  return w
}
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.pipeline.close().catch(() => {})
})

/** The state a fresh host reaches with this desired state alone. */
async function freshState(desired: DesiredState): Promise<string> {
  const w = world()
  await w.pipeline.reconfig(desired)
  const state = w.state()
  await w.pipeline.close()
  return state
}

const lines = (state: string, pattern: RegExp) => state.split('\n').filter((l) => pattern.test(l))

describe('the site pipeline over memory fakes', () => {
  it('add a site, drop an uplink, change a policy, restore: each step converges, close leaves the host as found', async () => {
    const w = world()
    const pristine = w.state()

    await w.pipeline.reconfig(STATES.base)
    const baseState = w.state()
    // Two local uplinks x two remote slots: four tunnels, each with its underlay table.
    expect(lines(baseState, /^link pt\d/)).toEqual([
      'link pt0-0 up mtu 1420',
      'link pt0-1 up mtu 1420',
      'link pt1-0 up mtu 1420',
      'link pt1-1 up mtu 1420',
    ])
    expect(baseState).toContain('route table 7100 0.0.0.0/0 via 192.0.2.254 dev eth0')
    expect(baseState).toContain('route table 7101 0.0.0.0/0 via 198.51.100.254 dev eth1')
    expect(baseState).toContain('route table 7200 10.2.0.0/16 dev pt0-0')
    expect(baseState).toContain('rule 1000: fwmark 0x7100 lookup 7100')
    expect(baseState).toContain('rule 1017: from 198.51.100.1/32 lookup 7101')
    expect(baseState).toContain('rule 1100: lookup 7200')
    expect(baseState).toContain('sysctl net/ipv4/ip_forward=1')
    expect(baseState).toContain('peer ' + siteB.wireguardPublicKey + ' endpoint 203.0.113.3:51837')

    await w.pipeline.reconfig(STATES.addSite)
    const added = w.state()
    expect(added).toContain('route table 7200 10.3.0.0/16 dev pt0-0')
    expect(added).toContain(`peer ${siteC.wireguardPublicKey} endpoint 203.0.113.4:51820`)
    expect(added).toBe(await freshState(STATES.addSite))

    await w.pipeline.reconfig(STATES.dropUplink)
    const dropped = w.state()
    expect(lines(dropped, /^link pt\d/)).toEqual([
      'link pt0-0 up mtu 1420',
      'link pt0-1 up mtu 1420',
    ])
    expect(lines(dropped, /7101|pt1-|198\.51\.100\.1\/32/)).toEqual([])
    expect(dropped).not.toContain('10.3.0.0/16')
    expect(dropped).toBe(await freshState(STATES.dropUplink))

    await w.pipeline.reconfig(STATES.changePolicy)
    const changed = w.state()
    // voice: FEC + compression through its TUN; web: by the classifier's mark only.
    expect(changed).toContain('link pto0 up')
    expect(changed).toContain('route table 7700 10.2.0.0/16 dev pto0')
    expect(changed).toContain('rule 959: fwmark 0x7300 lookup 7700')
    expect(changed).toContain('rule 1032: fwmark 0x7301 lookup 7301')
    // The path monitor's match rule for voice (web has applications only: by mark).
    expect(changed).toContain('rule 1040: ipproto 17 dport 5004-5004 lookup 7300')
    expect(lines(changed, /^rule 1041:/)).toEqual([])
    expect(changed).toMatch(/class 0 mark 0x7300 policy pol_voice/)
    expect(changed).toMatch(/class 1 mark 0x7301 policy pol_web/)
    expect(changed).toMatch(/name zoom\.us app zoom/)
    expect(changed).toBe(await freshState(STATES.changePolicy))

    await w.pipeline.reconfig({ ...STATES.base, revision: 5 })
    expect(w.state()).toBe(baseState)

    await w.pipeline.close()
    expect(w.state()).toBe(pristine)
  })

  it('plans once per reconfig, whatever the number of stages', async () => {
    const w = world()
    for (const desired of Object.values(STATES)) {
      planMeshCalls.count = 0
      await w.pipeline.reconfig(desired)
      expect(planMeshCalls.count).toBe(1)
    }
  })

  it('the final state depends only on the last desired state, in any order (fast-check)', async () => {
    const names = Object.keys(STATES) as StepName[]
    const expected = new Map<StepName, string>()
    for (const name of names) expected.set(name, await freshState(STATES[name]))
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 6 }),
        async (sequence) => {
          const w = world()
          for (const [k, name] of sequence.entries()) {
            await w.pipeline.reconfig({ ...STATES[name], revision: k + 1 })
          }
          const last = sequence.at(-1) as StepName
          expect(w.state()).toBe(expected.get(last))
          await w.pipeline.close()
        },
      ),
      { numRuns: 40 },
    )
  })
})
