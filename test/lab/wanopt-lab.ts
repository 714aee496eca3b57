/**
 * Helpers of the WAN optimizer lab test and benchmark: LAN-to-LAN UDP flows on a chosen port
 * (wanopt-traffic.ts in the two LAN host namespaces) with their loss and one-way delays, the
 * agent's /metrics read from inside its site namespace, and an uplink's transmitted bytes
 * (the underlay cost of a flow).
 */
import { fileURLToPath } from 'node:url'
import type { Lab, LabSite } from './harness'

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
