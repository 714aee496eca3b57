/**
 * Helpers of the WAN optimizer lab test and benchmark: the two-site lab with the real control
 * plane, agents and a `fec` and a `compression` policy; LAN-to-LAN UDP flows on a chosen port
 * (wanopt-traffic.ts in the two LAN host namespaces) with their loss and one-way delays, the
 * agent's /metrics read from inside its site namespace, and an uplink's transmitted bytes
 * (the underlay cost of a flow).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  OPTIMIZER_MARK_RULE_PRIORITY,
  OPTIMIZER_MAX_CLASSES,
  OPTIMIZER_RULE_PRIORITY_BASE,
  OPTIMIZER_TABLE_BASE,
} from '../../agent/optimizer/tunnel/plan'
import { CliAgent, type Enrolled, enrollSite, wgDevices } from './cli-agent'
import { LabControlPlane } from './control-plane'
import { pollUntil } from './exec'
import { cleanupStale, Lab, type LabSite } from './harness'
import { newRunId } from './names'

const SCRIPT = fileURLToPath(new URL('./wanopt-traffic.ts', import.meta.url))

export interface FlowSpec {
  port: number
  pps: number
  durationMs: number
  /** UDP payload bytes (at least 12: sequence number and send time). */
  size: number
  kind: 'zeros' | 'text' | 'random'
}

export interface FlowResult {
  sent: number
  /** UDP payload bytes sent. */
  bytes: number
  received: number
  lossPct: number
  delaysMs: number[]
}

/** Starts a receiver in `to`'s LAN host, then the sender in `from`'s; resolves at the end. */
export async function runFlow(
  lab: Lab,
  from: LabSite,
  to: LabSite,
  spec: FlowSpec,
): Promise<FlowResult> {
  const recv = lab.spawnIn(to.hostNs, `wanopt recv ${spec.port}`, process.execPath, [
    '--import',
    'tsx',
    SCRIPT,
    'recv',
    to.lanHost,
    String(spec.port),
    String(spec.durationMs + 1_500),
  ])
  let recvOut = ''
  recv.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    recvOut += d
  })
  const deadline = Date.now() + 15_000
  while (!recvOut.includes('ready')) {
    if (Date.now() > deadline || recv.child.exitCode !== null) {
      throw new Error(`wanopt receiver on ${spec.port} did not start: ${recvOut}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  const send = lab.spawnIn(from.hostNs, `wanopt send ${spec.port}`, process.execPath, [
    '--import',
    'tsx',
    SCRIPT,
    'send',
    to.lanHost,
    String(spec.port),
    String(spec.pps),
    String(spec.durationMs),
    String(spec.size),
    spec.kind,
  ])
  let sendOut = ''
  send.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    sendOut += d
  })
  const exited = (p: typeof recv) =>
    new Promise<void>((resolve) => {
      if (p.child.exitCode !== null) resolve()
      else p.child.once('exit', () => resolve())
    })
  const bound = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`flow on ${spec.port} did not end`)),
      spec.durationMs + 30_000,
    ).unref(),
  )
  await Promise.race([Promise.all([exited(send), exited(recv)]), bound])
  const sentLine = sendOut.split('\n').find((l) => l.startsWith('{'))
  const recvLine = recvOut.split('\n').find((l) => l.startsWith('{'))
  if (!sentLine || !recvLine) {
    throw new Error(
      `flow on ${spec.port}: no result (send ${sendOut}, recv ${recvOut.slice(0, 200)})`,
    )
  }
  const s = JSON.parse(sentLine) as { sent: number; bytes: number }
  const r = JSON.parse(recvLine) as { received: number; delaysMs: number[] }
  return {
    sent: s.sent,
    bytes: s.bytes,
    received: r.received,
    lossPct: s.sent > 0 ? (100 * (s.sent - r.received)) / s.sent : 0,
    delaysMs: r.delaysMs,
  }
}

/** The agent's /metrics text, fetched inside its site namespace. */
export async function agentMetrics(lab: Lab, site: LabSite, port: number): Promise<string> {
  const res = await lab.exec(site.ns, 'curl', [
    '-s',
    '--max-time',
    '10',
    `http://127.0.0.1:${port}/metrics`,
  ])
  if (res.code !== 0) throw new Error(`metrics of site ${site.index}: curl exit ${res.code}`)
  return res.stdout
}

/** Sum of a metric's samples whose label text contains every `filters` entry. */
export function metricSum(text: string, name: string, filters: string[] = []): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if (rest[0] !== '{' && rest[0] !== ' ') continue
    if (!filters.every((f) => rest.includes(f))) continue
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (Number.isFinite(value)) sum += value
  }
  return sum
}

/** Bytes transmitted so far on a site's uplink interface (inside the site namespace). */
export async function uplinkTxBytes(lab: Lab, site: LabSite, slot: number): Promise<number> {
  const ifname = site.uplinks.find((u) => u.slot === slot)?.ifname
  if (!ifname) throw new Error(`site ${site.index} has no uplink ${slot}`)
  const res = await lab.exec(site.ns, 'ip', ['-j', '-s', 'link', 'show', 'dev', ifname])
  const links = JSON.parse(res.stdout || '[]') as { stats64?: { tx?: { bytes?: number } } }[]
  const bytes = links[0]?.stats64?.tx?.bytes
  if (bytes === undefined) throw new Error(`no tx counter for ${ifname}: ${res.stdout}`)
  return bytes
}

/** Percentile (0-100) of a list, nearest rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((x, y) => x - y)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

export const WANOPT_METRICS_PORT = 9471
export const FEC_PORT = 6000
/** The compression class matches this range. */
export const ZIP_PORTS = [6001, 6002] as const
/** A port no policy matches: the plain tunnel, for comparison. */
export const PLAIN_PORT = 5990
export const WANOPT_METRIC = 'patronus_agent_wanopt_'

export interface WanoptLab {
  lab: Lab
  cp: LabControlPlane
  dir: string
  agents: CliAgent[]
  enrolled: Enrolled[]
  /** Policy ids by name: `voice-fec` (fec, FEC_PORT), `bulk-lz4` (compression, ZIP_PORTS). */
  policyIds: Record<string, string>
  metrics(i: number): Promise<string>
  /** Stops the agents and the control plane, destroys the lab and removes the directory. */
  destroy(): Promise<void>
}

/**
 * Two sites x `uplinks` uplinks, the real control plane and agent CLIs, a `fec` and a `compression`
 * policy; resolves once a first packet of the fec class went through the optimizer. When the
 * setup does not converge it throws with diagnose()'s text, having destroyed what it built
 * (the caller names the run, so it can check for leftovers either way).
 */
export async function startWanoptLab(
  log: (m: string) => void,
  runId: string = newRunId(),
  uplinks = 1,
): Promise<WanoptLab> {
  await cleanupStale()
  const lab = await Lab.create({ sites: 2, uplinks, log, runId })
  const dir = await mkdtemp(join(tmpdir(), `patronus-lab-${lab.runId}-`))
  const cp = new LabControlPlane(lab, dir)
  const agents: CliAgent[] = []
  const w: WanoptLab = {
    lab,
    cp,
    dir,
    agents,
    enrolled: [],
    policyIds: {},
    metrics: (i) => agentMetrics(lab, lab.site(i), WANOPT_METRICS_PORT),
    async destroy() {
      try {
        for (const a of agents) await a?.stop(lab).catch(() => {})
        await cp.stop().catch(() => {})
        await lab.destroy()
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
  try {
    await cp.start()
    for (const p of [
      {
        name: 'voice-fec',
        priority: 10,
        match: { protocols: ['udp'], ports: [FEC_PORT] },
        action: { preference: 'lowest-latency', fec: true },
      },
      {
        name: 'bulk-lz4',
        priority: 20,
        match: { protocols: ['udp'], ports: [`${ZIP_PORTS[0]}-${ZIP_PORTS[1]}`] },
        action: { preference: 'lowest-latency', compression: true },
      },
    ]) {
      const res = await cp.api('POST', '/v1/policies', p)
      if (res.status !== 201) throw new Error(`create policy: ${JSON.stringify(res.body)}`)
      w.policyIds[p.name] = res.body.id as string
    }
    for (const i of [0, 1]) {
      const site = lab.site(i)
      const { token } = await cp.createSite(`wanopt-${i}`, [site.lanPrefix])
      w.enrolled[i] = await enrollSite(lab, site, cp.url, token, join(dir, `site${i}`))
    }
    for (const i of [0, 1]) {
      agents[i] = CliAgent.start(lab, lab.site(i), join(dir, `site${i}`), {
        longPollSeconds: 5,
        extraArgs: [
          '--bfd-interval-ms',
          '50',
          '--bfd-multiplier',
          '3',
          '--metrics-listen',
          `127.0.0.1:${WANOPT_METRICS_PORT}`,
        ],
      })
    }
    for (const i of [0, 1]) {
      const site = lab.site(i)
      await pollUntil(
        `site ${i}: tunnel handshaken, optimizer TUNs and rules in place`,
        async () => {
          const a = agents[i]
          if (!a?.running) throw new Error(`agent ${i} exited:\n${a?.logs.slice(-3000)}`)
          const devices = await wgDevices(lab, site)
          if (devices.length < uplinks * uplinks) return undefined
          if (devices.some((d) => !d.peers[0] || d.peers[0].latestHandshake === 0)) return undefined
          const names = await linkNames(lab, site)
          const tuns = [`${site.wgPrefix}or`, `${site.wgPrefix}o0`, `${site.wgPrefix}o1`]
          if (!tuns.every((t) => names.includes(t))) return undefined
          return (await optimizerRules(lab, site)).length >= 4 ? true : undefined
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nagent log:\n${agents[i]?.logs.slice(-4000)}`)
      })
    }
    // The class needs a decided path before its packets can leave: poll with a short flow.
    await pollUntil(
      'a first packet through the optimizer',
      async () => {
        const r = await runFlow(lab, lab.site(0), lab.site(1), {
          port: FEC_PORT,
          pps: 50,
          durationMs: 400,
          size: 64,
          kind: 'zeros',
        })
        return r.received > 0 ? true : undefined
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await diagnose(w)}`)
    })
    return w
  } catch (error) {
    await w.destroy().catch(() => {})
    throw error
  }
}

export async function linkNames(lab: Lab, site: LabSite): Promise<string[]> {
  const res = await lab.exec(site.ns, 'ip', ['-j', 'link', 'show'])
  return (JSON.parse(res.stdout || '[]') as { ifname: string }[]).map((l) => l.ifname)
}

/** The optimizer's `ip rule`s of a site (its priority range). */
export async function optimizerRules(
  lab: Lab,
  site: LabSite,
): Promise<{ priority: number; table?: string }[]> {
  const res = await lab.exec(site.ns, 'ip', ['-j', '-4', 'rule', 'show'])
  return (JSON.parse(res.stdout || '[]') as { priority: number; table?: string }[]).filter(
    (r) =>
      r.priority >= OPTIMIZER_MARK_RULE_PRIORITY &&
      r.priority < OPTIMIZER_RULE_PRIORITY_BASE + OPTIMIZER_MAX_CLASSES,
  )
}

/** What to look at when a flow does not get through: metrics, rules, routes, sysctls, drops. */
export async function diagnose(w: WanoptLab): Promise<string> {
  const out: string[] = []
  for (const i of [0, 1]) {
    const site = w.lab.site(i)
    const m = await w.metrics(i).catch((e: Error) => e.message)
    const lines = m.split('\n').filter((l) => l.startsWith(WANOPT_METRIC))
    out.push(`site ${i} metrics:\n${lines.join('\n')}`)
    out.push((await w.lab.exec(site.ns, 'ip', ['rule'])).stdout)
    const table = String(OPTIMIZER_TABLE_BASE)
    out.push((await w.lab.exec(site.ns, 'ip', ['route', 'show', 'table', table])).stdout)
    out.push((await w.lab.exec(site.ns, 'ip', ['-s', 'link'])).stdout)
    const rx = `${site.wgPrefix}or`
    const keys = ['all', 'default', rx].flatMap((c) =>
      ['rp_filter', 'forwarding'].map((k) => `/proc/sys/net/ipv4/conf/${c}/${k}`),
    )
    out.push((await w.lab.exec(site.ns, 'grep', ['-H', '.', ...keys])).stdout)
    const nstat = (await w.lab.exec(site.ns, 'nstat', ['-az'])).stdout.split('\n')
    out.push(
      nstat.filter((l) => /Reverse|AddrErrors|NoRoutes|Discards|ForwDatagrams/.test(l)).join('\n'),
    )
  }
  return out.join('\n')
}
