/**
 * The failover bench's lab: 2 sites x 2 uplinks, the real control plane in its namespace
 * and the real agent CLI per site, run with the lab BFD settings (`--bfd-interval-ms 50
 * --bfd-multiplier 3`; the control plane serves the production 100 ms x 3). Everything is
 * torn down by stop(), also on SIGINT/SIGTERM through the lab's own handlers.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CliAgent, enrollSite, meshRoutes, wgDevices } from '../../test/lab/cli-agent'
import { LabControlPlane } from '../../test/lab/control-plane'
import { pollUntil } from '../../test/lab/exec'
import { cleanupStale, Lab } from '../../test/lab/harness'

export const BFD_ARGS = ['--bfd-interval-ms', '50', '--bfd-multiplier', '3']

export interface FailoverLab {
  lab: Lab
  cp: LabControlPlane
  agents: CliAgent[]
  siteIds: string[]
  /** Local uplink slot site 0 sends site 1's LAN through. */
  activeSlot(): Promise<number | undefined>
  stop(): Promise<void>
}

function upPaths(a: CliAgent): number {
  const state = new Map<string, string>()
  for (const e of a.entries()) if (e.msg === 'bfd state') state.set(String(e.path), String(e.to))
  return [...state.values()].filter((s) => s === 'Up').length
}

/** bfdArgs: the agents' BFD flags (default BFD_ARGS; [] = the control plane's 100 ms x 3). */
export async function startFailoverLab(
  options: { logLevel?: string; bfdArgs?: string[] } = {},
): Promise<FailoverLab> {
  await cleanupStale()
  const lab = await Lab.create({ sites: 2, uplinks: 2 })
  const dir = await mkdtemp(join(tmpdir(), `patronus-lab-${lab.runId}-`))
  const cp = new LabControlPlane(lab, dir)
  const agents: CliAgent[] = []
  const siteIds: string[] = []
  const stop = async () => {
    for (const a of agents) await a.stop(lab).catch(() => {})
    await cp.stop().catch(() => {})
    await lab.destroy()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await cp.start()
    for (const i of [0, 1]) {
      const { siteId, token } = await cp.createSite(`bench-${i}`, [lab.site(i).lanPrefix])
      siteIds.push(siteId)
      await enrollSite(lab, lab.site(i), cp.url, token, join(dir, `site${i}`))
    }
    for (const i of [0, 1]) {
      agents.push(
        CliAgent.start(lab, lab.site(i), join(dir, `site${i}`), {
          longPollSeconds: 30,
          logLevel: options.logLevel ?? 'info',
          extraArgs: options.bfdArgs ?? BFD_ARGS,
        }),
      )
    }
    for (const i of [0, 1]) {
      await pollUntil(
        `site ${i} meshed with 4 BFD sessions up`,
        async () => {
          const devices = await wgDevices(lab, lab.site(i))
          const ok =
            devices.length === 4 && devices.every((d) => (d.peers[0]?.latestHandshake ?? 0) > 0)
          return ok && upPaths(agents[i] as CliAgent) === 4 ? true : undefined
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      )
    }
    // Paths are "clean" failbackAfterMs after coming up; before that the engine keeps the
    // first path that came up. Start the runs from the settled choice.
    const lastUp = Math.max(
      ...(agents[0]?.entries() ?? [])
        .filter((e) => e.msg === 'bfd state' && e.to === 'Up')
        .map((e) => Number(e.time)),
    )
    await new Promise((r) => setTimeout(r, Math.max(0, lastUp + 11_000 - Date.now())))
  } catch (error) {
    await stop()
    throw error
  }
  return {
    lab,
    cp,
    agents,
    siteIds,
    async activeSlot() {
      const route = (await meshRoutes(lab, lab.site(0))).find(
        (r) => r.dst === lab.site(1).lanPrefix,
      )
      const m = route ? /(\d+)-(\d+)$/.exec(route.dev) : null
      return m ? Number(m[1]) : undefined
    },
    stop,
  }
}
