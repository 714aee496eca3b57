/**
 * The optimizer tunnel follows its class's path on failover (docs/wanopt.md): 2 sites x 2 uplinks,
 * the real control plane and agents, a 1,000 packets/s stream of the `fec` class. Blackholing
 * the uplink the class uses moves the class to another path (the path monitor's decision); the
 * optimizer's datagrams follow on a sender of the new path, and the stream goes on.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MESH_DEFAULTS } from '../../agent/plan/mesh-plan'
import { pollUntil, run } from './exec'
import { type LabSite, labLeftovers } from './harness'
import { newRunId } from './names'
import { FEC_PORT, WANOPT_METRIC as M, runFlow, startWanoptLab, type WanoptLab } from './wanopt-lab'

let w: WanoptLab
const runId = newRunId()
const log = (m: string) => {
  if (process.env.LAB_VERBOSE) console.log(m)
}
const site = (i: number): LabSite => w.lab.site(i)

/** Local slot of the path carrying the fec class (class 0) from site 0 to site 1's LAN. */
async function classSlot(): Promise<number | undefined> {
  const table = String(MESH_DEFAULTS.classTableBase)
  const res = await w.lab.exec(site(0).ns, 'ip', ['-j', 'route', 'show', 'table', table])
  const routes = JSON.parse(res.stdout || '[]') as { dst: string; dev: string }[]
  const route = routes.find((r) => r.dst === site(1).lanPrefix)
  const m = route ? /(\d+)-(\d+)$/.exec(route.dev) : null
  return m ? Number(m[1]) : undefined
}

/** Optimizer packets sent per path label (`peer/local/remote`). */
async function packetsByPath(): Promise<Map<string, number>> {
  const text = await w.metrics(0)
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${M}packets_total\\{path="([^"]+)"\\} (\\d+)`).exec(line)
    if (m?.[1]) out.set(m[1], Number(m[2]))
  }
  return out
}

beforeAll(async () => {
  w = await startWanoptLab(log, runId, 2)
}, 180_000)

afterAll(async () => {
  await w?.destroy()
  const left = await labLeftovers(runId)
  expect(left).toEqual({ namespaces: [], sockets: [], processes: [], nftTables: [] })
  const procs = await run('pgrep', ['-af', `patronus-lab-${runId}-`], { allowFail: true })
  expect(procs.stdout.trim()).toBe('')
}, 90_000)

describe('the optimizer tunnel follows its class across a failover', () => {
  test('blackholing the class uplink: the fec stream moves to another path and goes on', async () => {
    const slot = await pollUntil('a path for the fec class', async () => classSlot(), {
      timeoutMs: 30_000,
      intervalMs: 250,
    })
    const before = await packetsByPath()
    const flow = runFlow(w.lab, site(0), site(1), {
      port: FEC_PORT,
      pps: 1000,
      durationMs: 6_000,
      size: 64,
      kind: 'zeros',
    })
    await new Promise((r) => setTimeout(r, 2_000))
    await w.lab.impair(0, slot, { blackhole: true })
    try {
      const r = await flow
      const moved = await classSlot()
      const after = await packetsByPath()
      const grew = [...after].filter(([path, n]) => n > (before.get(path) ?? 0)).map(([p]) => p)
      log(
        `slot ${slot} -> ${moved}; paths used: ${grew.join(', ')}; ${JSON.stringify({ ...r, delaysMs: r.delaysMs.length })}`,
      )
      expect(moved).toBeDefined()
      expect(moved).not.toBe(slot)
      // Datagrams went on two paths: the old one until the decision, then the new one.
      expect(grew.some((p) => p.split('/')[1] === String(slot))).toBe(true)
      expect(grew.some((p) => p.split('/')[1] === String(moved))).toBe(true)
      // The outage is detection plus a decision (well under a second of a 6 s stream).
      expect(r.received).toBeGreaterThan(r.sent * 0.8)
    } finally {
      await w.lab.impair(0, slot, {})
    }
  }, 90_000)
})
