/**
 * The WireGuard mesh end to end: 3 sites x 2 uplinks, the mesh stages running inside each
 * site namespace with a hand-made desired state; LAN hosts reach each other through the
 * tunnels (counters prove it), peers and routes follow the desired state, a delayed uplink
 * delays the path over it, and nothing is left on the host afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { pollUntil } from './exec'
import { desiredStateFor, identities, type LabSiteIdentity } from './fixtures'
import { cleanupStale, Lab, labLeftovers } from './harness'
import { type AgentStats, LabAgent } from './lab-agent'
import { labAddresses } from './names'

let lab: Lab
let ids: LabSiteIdentity[]
const agents: LabAgent[] = []
const log = (m: string) => {
  if (process.env.LAB_VERBOSE) console.log(m)
}

function agent(i: number): LabAgent {
  const a = agents[i]
  if (!a) throw new Error(`no agent ${i}`)
  return a
}

function id(i: number): LabSiteIdentity {
  const x = ids[i]
  if (!x) throw new Error(`no identity ${i}`)
  return x
}

async function ping(from: number, to: number, count = 3): Promise<{ ok: boolean; avgMs: number }> {
  const res = await lab.exec(lab.site(from).hostNs, 'ping', [
    '-n',
    '-c',
    String(count),
    '-i',
    '0.2',
    '-W',
    '2',
    lab.site(to).lanHost,
  ])
  const m = /= [\d.]+\/([\d.]+)\//.exec(res.stdout)
  return { ok: res.code === 0, avgMs: m?.[1] ? Number(m[1]) : Number.NaN }
}

function totals(stats: AgentStats, ifname: string): { rx: bigint; tx: bigint } {
  const iface = stats.interfaces.find((i) => i.name === ifname)
  let rx = 0n
  let tx = 0n
  for (const p of iface?.peers ?? []) {
    rx += BigInt(p.rxBytes)
    tx += BigInt(p.txBytes)
  }
  return { rx, tx }
}

const defaultIf = (site: number) => `${lab.site(site).wgPrefix}0-0`

/** What a failed reachability check needs to be understood: tunnels, routes, rules. */
async function diagnose(from: number, to: number): Promise<string> {
  const parts: string[] = []
  for (const s of [from, to]) {
    const ns = lab.site(s).ns
    const p = lab.site(s).wgPrefix
    const wg = await lab.exec(ns, 'wg', ['show', 'all', 'dump'])
    parts.push(
      `site ${s} wg:\n${wg.stdout
        .split('\n')
        .filter((l) => l.startsWith(p))
        .join('\n')}`,
    )
    parts.push(`site ${s} rules:\n${(await lab.exec(ns, 'ip', ['rule'])).stdout}`)
    parts.push(
      `site ${s} mesh table:\n${(await lab.exec(ns, 'ip', ['route', 'show', 'table', 'all'])).stdout}`,
    )
  }
  return parts.join('\n')
}

beforeAll(async () => {
  await cleanupStale()
  lab = await Lab.create({ sites: 3, uplinks: 2, log })
  ids = identities(lab)
  for (const x of ids) {
    agents.push(
      await LabAgent.start(lab, x.site, {
        privateKey: x.keys.privateKey,
        interfacePrefix: x.site.wgPrefix,
      }),
    )
  }
  await Promise.all(ids.map((x, i) => agent(i).reconfig(desiredStateFor(lab, ids, x))))
}, 90_000)

afterAll(async () => {
  const runId = lab?.runId
  for (const a of agents) await a.close().catch(() => {})
  await lab?.destroy()
  // Nothing of this run may survive, whatever happened above.
  const left = await labLeftovers(runId)
  expect(left).toEqual({ namespaces: [], sockets: [], processes: [], nftTables: [] })
}, 60_000)

describe('WireGuard mesh over the lab WAN (3 sites x 2 uplinks)', () => {
  test('the backend is picked by detection and named', () => {
    for (const a of agents) {
      expect(['userspace', 'kernel']).toContain(a.backend)
      expect(a.backendReason).toMatch(/^(userspace|kernel)/)
    }
    log(`backend: ${agent(0).backendReason}`)
  })

  test('every site has one interface per (local, remote) slot pair with the planned ports', async () => {
    for (let s = 0; s < 3; s++) {
      const stats = await agent(s).stats()
      const names = stats.interfaces.map((i) => i.name).sort()
      const p = lab.site(s).wgPrefix
      expect(names).toEqual([`${p}0-0`, `${p}0-1`, `${p}1-0`, `${p}1-1`])
      for (const iface of stats.interfaces) {
        const [i, j] = iface.name
          .slice(p.length)
          .split('-')
          .map((x) => Number.parseInt(x, 16))
        expect(iface.listenPort).toBe(lab.wgBasePort + 16 * (i ?? -1) + (j ?? -1))
        expect(iface.peers).toHaveLength(2)
      }
    }
  })

  test('each LAN host pings the other two through the tunnels, and the counters show it', async () => {
    const before = await Promise.all([0, 1, 2].map((s) => agent(s).stats()))
    const rtts: string[] = []
    for (let from = 0; from < 3; from++) {
      for (let to = 0; to < 3; to++) {
        if (from === to) continue
        // The first handshake may need a retry (docs/lab.md): poll, bounded.
        const result = await pollUntil(
          `LAN ${from} -> LAN ${to}`,
          async () => {
            const r = await ping(from, to)
            return r.ok ? r : undefined
          },
          { timeoutMs: 30_000, intervalMs: 100 },
        ).catch(async (err: Error) => {
          throw new Error(`${err.message}\n${await diagnose(from, to)}`)
        })
        rtts.push(`${from}->${to} ${result.avgMs} ms`)
      }
    }
    log(`ping avg RTT: ${rtts.join(', ')}`)
    const after = await Promise.all([0, 1, 2].map((s) => agent(s).stats()))
    for (let s = 0; s < 3; s++) {
      const b = totals(before[s] as AgentStats, defaultIf(s))
      const a = totals(after[s] as AgentStats, defaultIf(s))
      // 2 peers x 3 echo requests of 84 bytes (+ WireGuard overhead) at least, each way.
      expect(a.tx - b.tx).toBeGreaterThan(2n * 3n * 84n)
      expect(a.rx - b.rx).toBeGreaterThan(2n * 3n * 84n)
    }
  }, 90_000)

  test('every path is warm: all 4 interfaces handshake with both peers, endpoints as planned', async () => {
    const started = Date.now()
    for (let s = 0; s < 3; s++) {
      const stats = await pollUntil(
        `all handshakes of site ${s}`,
        async () => {
          const st = await agent(s).stats()
          const all = st.interfaces.every((i) => i.peers.every((p) => p.lastHandshakeMs > 0))
          return all ? st : undefined
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      )
      for (const iface of stats.interfaces) {
        const j = Number.parseInt(iface.name.slice(-1), 16)
        const i = Number.parseInt(iface.name.slice(-3, -2), 16)
        for (const peer of iface.peers) {
          const other = ids.findIndex((x) => x.keys.publicKey === peer.publicKey)
          expect(other).toBeGreaterThanOrEqual(0)
          expect(peer.endpoint).toBe(
            `${labAddresses.uplinkAddress(other, j)}:${lab.wgBasePort + 16 * j + i}`,
          )
        }
      }
    }
    log(`all 12 interfaces x 2 peers handshaken within ${Date.now() - started} ms of the check`)
  }, 90_000)

  test('reconfig with the same state is idempotent (no handshake reset, same routes)', async () => {
    const before = await agent(1).stats()
    await agent(1).reconfig(desiredStateFor(lab, ids, id(1)))
    const after = await agent(1).stats()
    expect(after.meshRoutes).toEqual(before.meshRoutes)
    expect(after.interfaces.map((i) => i.name)).toEqual(before.interfaces.map((i) => i.name))
    for (const iface of after.interfaces) {
      const old = before.interfaces.find((i) => i.name === iface.name)
      for (const p of iface.peers) {
        const was = old?.peers.find((q) => q.publicKey === p.publicKey)
        expect(p.lastHandshakeMs).toBeGreaterThanOrEqual(was?.lastHandshakeMs ?? 0)
        expect(BigInt(p.rxBytes)).toBeGreaterThanOrEqual(BigInt(was?.rxBytes ?? '0'))
      }
    }
  })

  test('a delayed uplink delays the path over it (relay), and lifting it restores the RTT', async () => {
    const base = await ping(0, 1, 5)
    expect(base.ok).toBe(true)
    // Site 0's default path to site 1 is wg-0-0 -> site 1 uplink 0.
    await lab.impair(1, 0, { delayMs: 40 })
    const delayed = await pollUntil(
      'RTT over the delayed uplink',
      async () => {
        const r = await ping(0, 1, 5)
        return r.ok && r.avgMs > base.avgMs + 60 ? r : undefined
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    )
    log(`RTT 0->1: ${base.avgMs} ms, with 40 ms one-way delay on s1 uplink 0: ${delayed.avgMs} ms`)
    expect(delayed.avgMs).toBeLessThan(base.avgMs + 200)
    await lab.impair(1, 0, {})
    const restored = await pollUntil(
      'RTT back after lifting the delay',
      async () => {
        const r = await ping(0, 1, 3)
        return r.ok && r.avgMs < base.avgMs + 20 ? r : undefined
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    )
    expect(restored.ok).toBe(true)
  }, 90_000)

  test('removing a peer from one site removes its WireGuard peers and routes there', async () => {
    const without2 = desiredStateFor(lab, ids, id(0), { revision: 2 })
    without2.peers = without2.peers.filter((p) => p.siteId !== id(2).siteId)
    await agent(0).reconfig(without2)
    const stats = await agent(0).stats()
    for (const iface of stats.interfaces) {
      expect(iface.peers.map((p) => p.publicKey)).toEqual([id(1).keys.publicKey])
    }
    const dsts = stats.meshRoutes.map((r) => r.dst).sort()
    expect(dsts).toEqual([lab.site(1).lanPrefix, `${labAddresses.overlayAddress(1)}/32`].sort())
    expect((await ping(0, 2, 2)).ok).toBe(false)
    expect((await ping(0, 1, 2)).ok).toBe(true)
  }, 60_000)

  test('an uplink removed from the state takes its interfaces, table and rules with it', async () => {
    const oneUplink = desiredStateFor(lab, ids, id(0), { revision: 3 })
    oneUplink.peers = oneUplink.peers.filter((p) => p.siteId !== id(2).siteId)
    oneUplink.uplinks = oneUplink.uplinks.filter((u) => u.slot === 0)
    await agent(0).reconfig(oneUplink)
    const stats = await agent(0).stats()
    const p = lab.site(0).wgPrefix
    expect(stats.interfaces.map((i) => i.name).sort()).toEqual([`${p}0-0`, `${p}0-1`])
    expect(stats.wgNames.filter((n) => n.startsWith(p)).sort()).toEqual([`${p}0-0`, `${p}0-1`])
    expect(stats.rules.filter((r) => r.table === 7101)).toEqual([])
    expect(stats.rules.some((r) => r.table === 7100 && r.fwmark === 0x7100)).toBe(true)
    expect((await ping(0, 1, 2)).ok).toBe(true)
  }, 60_000)

  test('close() of one agent removes its interfaces, rules and routes', async () => {
    const p = lab.site(2).wgPrefix
    await agent(2).close()
    agents.splice(2, 1)
    const rules = await lab.exec(lab.site(2).ns, 'ip', ['rule', 'show'])
    expect(rules.stdout).not.toMatch(/lookup 7[12]\d\d/)
    const links = await lab.exec(lab.site(2).ns, 'ip', ['-o', 'link', 'show'])
    expect(links.stdout).not.toContain(p)
    const left = await labLeftovers(lab.runId)
    expect(left.sockets.filter((s) => s.startsWith(p))).toEqual([])
    expect(left.processes.filter((l) => l.includes(p))).toEqual([])
  }, 30_000)
})
