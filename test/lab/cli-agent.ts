/**
 * The real agent CLI (`agent/bin/patronus-agent.js`) in a lab site namespace: `enroll`
 * with a real token against the lab's control plane, claiming every uplink of the site
 * with its lab address as endpoint, then `run` as a long-lived process whose JSON log lines
 * are kept for assertions. Also reads what the agent built, from outside the agent: the
 * WireGuard devices (`wg show all dump`, host-wide sockets filtered by the site's prefix),
 * the mesh routes and the kernel settings of the site namespace.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Lab, LabProcess, LabSite } from './harness'

export const AGENT_BIN = join(process.cwd(), 'agent', 'bin', 'patronus-agent.js')
export const MESH_TABLE = 7200

export interface Enrolled {
  agentId: string
  siteId: string
  overlayAddress: string
  wireguardPublicKey: string
}

export interface WgPeer {
  publicKey: string
  endpoint: string
  allowedIps: string[]
  /** Epoch seconds, 0 = never. */
  latestHandshake: number
  rx: bigint
  tx: bigint
}

export interface WgDevice {
  name: string
  listenPort: number
  peers: WgPeer[]
}

export function uplinkArgs(lab: Lab, site: LabSite): string[] {
  return site.uplinks.flatMap((u) => [
    '--uplink',
    `wan${u.slot}=${u.ifname},endpoint=${u.address}:${lab.wgBasePort}`,
  ])
}

export async function enrollSite(
  lab: Lab,
  site: LabSite,
  serverUrl: string,
  token: string,
  stateDir: string,
  /** The agent script to enroll with: the checkout's by default, or an installed package's. */
  agentBin: string = AGENT_BIN,
): Promise<Enrolled> {
  const res = await lab.exec(
    site.ns,
    process.execPath,
    [
      agentBin,
      'enroll',
      '--server',
      serverUrl,
      '--token',
      token,
      '--state-dir',
      stateDir,
      // The lab's control plane is plain HTTP inside its namespace; enroll records the
      // choice in agent.json, so `run` needs no flag.
      '--insecure-http',
      ...uplinkArgs(lab, site),
    ],
    30_000,
  )
  if (res.code !== 0) throw new Error(`enroll site ${site.index}: exit ${res.code}: ${res.stderr}`)
  const record = JSON.parse(await readFile(join(stateDir, 'agent.json'), 'utf8')) as Enrolled
  return record
}

export interface RunOptions {
  longPollSeconds: number
  logLevel?: string
  /** More `run` flags (e.g. `--bfd-interval-ms 50`). */
  extraArgs?: string[]
}

export class CliAgent {
  logs = ''
  readonly exited: Promise<number | null>

  private constructor(
    readonly site: LabSite,
    readonly proc: LabProcess,
  ) {
    proc.child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.logs += d
    })
    this.exited = new Promise((resolve) => {
      if (proc.child.exitCode !== null) resolve(proc.child.exitCode)
      else proc.child.once('exit', (code) => resolve(code))
    })
  }

  /** `patronus-agent run` in the site namespace, with the lab's options. */
  static start(lab: Lab, site: LabSite, stateDir: string, options: RunOptions): CliAgent {
    const proc = lab.spawnIn(site.ns, `agent s${site.index}`, process.execPath, [
      AGENT_BIN,
      'run',
      '--state-dir',
      stateDir,
      '--interface-prefix',
      site.wgPrefix,
      '--underlay-source',
      'plan',
      '--long-poll',
      String(options.longPollSeconds),
      '--log-level',
      options.logLevel ?? 'info',
      ...(options.extraArgs ?? []),
    ])
    return new CliAgent(site, proc)
  }

  /**
   * Any command line that ends up running the agent (e.g. the service's ExecStart under
   * setpriv with its capability set), with the same log capture and stop as `start`.
   */
  static startCommand(lab: Lab, site: LabSite, cmd: string, args: string[]): CliAgent {
    return new CliAgent(site, lab.spawnIn(site.ns, `agent s${site.index}`, cmd, args))
  }

  get running(): boolean {
    return this.proc.child.exitCode === null && this.proc.child.signalCode === null
  }

  /** Parsed JSON log lines so far. */
  entries(): { msg: string; [key: string]: unknown }[] {
    const out: { msg: string }[] = []
    for (const line of this.logs.split('\n')) {
      if (!line.startsWith('{')) continue
      try {
        out.push(JSON.parse(line) as { msg: string })
      } catch {}
    }
    return out
  }

  has(message: string): boolean {
    return this.entries().some((e) => e.msg === message)
  }

  /** SIGTERM, then the exit code (the daemon closes its engine first). */
  async stop(lab: Lab, timeoutMs = 20_000): Promise<number | null | 'timeout'> {
    if (!this.running) return this.proc.child.exitCode
    this.proc.child.kill('SIGTERM')
    const code = await Promise.race([
      this.exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref()),
    ])
    if (code === 'timeout') await lab.stop(this.proc.pid)
    return code
  }
}

/** The site's WireGuard devices as `wg` sees them (interfaces named by its prefix). */
export async function wgDevices(lab: Lab, site: LabSite): Promise<WgDevice[]> {
  const res = await lab.exec(site.ns, 'wg', ['show', 'all', 'dump'])
  const devices = new Map<string, WgDevice>()
  for (const line of res.stdout.split('\n')) {
    const f = line.split('\t')
    const name = f[0] ?? ''
    if (!name.startsWith(site.wgPrefix)) continue
    if (f.length === 5) {
      devices.set(name, { name, listenPort: Number(f[3]), peers: [] })
    } else if (f.length === 9) {
      devices.get(name)?.peers.push({
        publicKey: f[1] ?? '',
        endpoint: f[3] ?? '',
        allowedIps: (f[4] ?? '').split(',').filter((a) => a && a !== '(none)'),
        latestHandshake: Number(f[5]),
        rx: BigInt(f[6] ?? '0'),
        tx: BigInt(f[7] ?? '0'),
      })
    }
  }
  return [...devices.values()].sort((a, b) => a.name.localeCompare(b.name))
}

export async function meshRoutes(lab: Lab, site: LabSite): Promise<{ dst: string; dev: string }[]> {
  const res = await lab.exec(site.ns, 'ip', ['-j', 'route', 'show', 'table', String(MESH_TABLE)])
  if (res.code !== 0 || !res.stdout.trim()) return []
  const routes = JSON.parse(res.stdout) as { dst: string; dev: string }[]
  return routes.map((r) => ({ dst: r.dst, dev: r.dev })).sort((a, b) => a.dst.localeCompare(b.dst))
}

export async function sysctlIn(lab: Lab, site: LabSite, key: string): Promise<string> {
  const res = await lab.exec(site.ns, 'cat', [`/proc/sys/${key}`])
  return res.stdout.trim()
}

/** LAN host `from` pings LAN host `to`: ok and average RTT. */
export async function lanPing(
  lab: Lab,
  from: LabSite,
  to: LabSite,
  count = 3,
  intervalS = '0.2',
): Promise<{ ok: boolean; avgMs: number; out: string }> {
  const res = await lab.exec(from.hostNs, 'ping', [
    '-n',
    '-c',
    String(count),
    '-i',
    intervalS,
    '-W',
    '1',
    to.lanHost,
  ])
  const m = /= [\d.]+\/([\d.]+)\//.exec(res.stdout)
  return { ok: res.code === 0, avgMs: m?.[1] ? Number(m[1]) : Number.NaN, out: res.stdout }
}
