/**
 * A whole running SD-WAN in the lab, for the demo and the benchmarks: the WAN lab, the
 * control plane in its namespace, and in every site the real agent CLI, enrolled with a
 * real token through the API and running the mesh pipeline. `close()` stops the agents
 * (they remove their tunnels), the control plane, the lab, and the temporary directory.
 */
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CliAgent, type Enrolled, enrollSite, wgDevices } from './cli-agent'
import { LabControlPlane } from './control-plane'
import { pollUntil } from './exec'
import { cleanupStale, Lab, type LabOptions } from './harness'

export interface MeshLabOptions {
  sites: number
  uplinks: number
  longPollSeconds?: number
  log?: (message: string) => void
  handleSignals?: boolean
  /** How long the whole mesh may take to handshake on every path. */
  meshTimeoutMs?: number
}

export interface MeshLabSite {
  siteId: string
  enrolled: Enrolled
  agent: CliAgent
  stateDir: string
}

export class MeshLab {
  readonly members: MeshLabSite[] = []
  /** Milliseconds from the agents' start to every path handshaken. */
  meshedAfterMs = 0
  private closing: Promise<void> | undefined

  private constructor(
    readonly lab: Lab,
    readonly cp: LabControlPlane,
    readonly dir: string,
  ) {}

  static async start(options: MeshLabOptions): Promise<MeshLab> {
    await cleanupStale()
    const labOptions: LabOptions = { sites: options.sites, uplinks: options.uplinks }
    if (options.log) labOptions.log = options.log
    if (options.handleSignals !== undefined) labOptions.handleSignals = options.handleSignals
    const lab = await Lab.create(labOptions)
    let dir: string | undefined
    try {
      dir = await mkdtemp(join(tmpdir(), `patronus-lab-${lab.runId}-`))
      const made = dir
      // Last resort on exit paths the harness handles synchronously.
      process.once('exit', () => rmSync(made, { recursive: true, force: true }))
      const mesh = new MeshLab(lab, new LabControlPlane(lab, dir), dir)
      await mesh.cp.start()
      await mesh.enrollAndRun(options)
      return mesh
    } catch (error) {
      await lab.destroy().catch(() => {})
      if (dir) rmSync(dir, { recursive: true, force: true })
      throw error
    }
  }

  private async enrollAndRun(options: MeshLabOptions): Promise<void> {
    const { lab, cp } = this
    const tokens: { siteId: string; token: string }[] = []
    for (const site of lab.sites) {
      tokens.push(await cp.createSite(`lab-site-${site.index}`, [site.lanPrefix]))
    }
    const enrolled = await Promise.all(
      lab.sites.map((site, i) =>
        enrollSite(lab, site, cp.url, tokens[i]?.token ?? '', join(this.dir, `site${i}`)),
      ),
    )
    const started = Date.now()
    lab.sites.forEach((site, i) => {
      const stateDir = join(this.dir, `site${i}`)
      this.members.push({
        siteId: tokens[i]?.siteId ?? '',
        enrolled: enrolled[i] as Enrolled,
        stateDir,
        agent: CliAgent.start(lab, site, stateDir, {
          longPollSeconds: options.longPollSeconds ?? 55,
        }),
      })
    })
    const peers = lab.sites.length - 1
    const interfaces = options.uplinks * options.uplinks
    for (const site of lab.sites) {
      await pollUntil(
        `site ${site.index}: ${interfaces} interfaces x ${peers} peers handshaken`,
        async () => {
          const devices = await wgDevices(lab, site)
          const done =
            devices.length === interfaces &&
            devices.every(
              (d) => d.peers.length === peers && d.peers.every((p) => p.latestHandshake > 0),
            )
          return done ? devices : undefined
        },
        { timeoutMs: options.meshTimeoutMs ?? 60_000, intervalMs: 200 },
      )
    }
    this.meshedAfterMs = Date.now() - started
  }

  member(i: number): MeshLabSite {
    const m = this.members[i]
    if (!m) throw new Error(`no site ${i}`)
    return m
  }

  /** Idempotent: agents (SIGTERM: they remove their tunnels), control plane, lab, files. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await Promise.all(this.members.map((m) => m.agent.stop(this.lab).catch(() => {})))
        await this.cp.stop().catch(() => {})
        await this.lab.destroy()
      } finally {
        rmSync(this.dir, { recursive: true, force: true })
      }
    })()
    return this.closing
  }
}
