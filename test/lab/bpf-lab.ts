/**
 * A small lab for the classifier: LAN host -> site -> two veth "uplinks" -> peer, where the
 * peer owns a service address on its loopback. No tunnels: the paths are the two uplinks,
 * and a packet's path is read from the peer's per-interface receive counters. Named per
 * run (`pt-<runid>-...`), destroyed on every exit path.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ipn, killPid, nsExec, pollUntil, run } from './exec'
import { newRunId, OWNER_DIR } from './names'

const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
const TRAFFIC = fileURLToPath(new URL('./bpf-traffic.ts', import.meta.url))
export const OBJECT = fileURLToPath(new URL('../../bpf/build/classifier.o', import.meta.url))

export const SERVICE = '10.99.0.1'
export const LAN_HOST = '10.20.0.2'

export interface BpfLab {
  runId: string
  host: string
  site: string
  peer: string
  lanIf: string
  uplinks: [string, string]
  peerIfs: [string, string]
  gateways: [string, string]
  tmp: string
  pids: number[]
  destroy(): Promise<void>
}

/** As root a missing tool fails the suite, naming the setup script. */
export async function requireTools(): Promise<void> {
  for (const tool of ['clang', 'bpftool', 'tc', 'nsenter', 'openssl', 'python3']) {
    const r = await run('sh', ['-c', `command -v ${tool}`], { allowFail: true })
    if (r.code !== 0)
      throw new Error(`${tool} is missing: install the lab tools with sudo scripts/setup-debian.sh`)
  }
  const { buildBpf } = (await import('../../bpf/build.mjs' as string)) as {
    buildBpf: () => string[]
  }
  buildBpf()
  if (!existsSync(OBJECT)) throw new Error(`${OBJECT} was not built`)
}

export async function createBpfLab(): Promise<BpfLab> {
  const runId = newRunId()
  const p = `pt-${runId}-`
  const lab: BpfLab = {
    runId,
    host: `${p}bh`,
    site: `${p}bs`,
    peer: `${p}bp`,
    lanIf: `${p}lan`,
    uplinks: [`${p}u0`, `${p}u1`],
    peerIfs: [`${p}p0`, `${p}p1`],
    gateways: ['198.18.100.2', '198.18.100.6'],
    tmp: mkdtempSync(join(tmpdir(), `${p}bpf-`)),
    pids: [],
    destroy: async () => {
      for (const pid of lab.pids.splice(0)) await killPid(pid)
      for (const ns of [lab.host, lab.site, lab.peer])
        await run('ip', ['netns', 'del', ns], { allowFail: true })
      rmSync(lab.tmp, { recursive: true, force: true })
      rmSync(`${OWNER_DIR}/${runId}.json`, { force: true })
    },
  }
  // Other lab runs' cleanupStale() removes `pt-<runid>-` namespaces with no live owner.
  mkdirSync(OWNER_DIR, { recursive: true })
  writeFileSync(
    `${OWNER_DIR}/${runId}.json`,
    JSON.stringify({ pid: process.pid, runId, createdAt: new Date().toISOString() }),
  )
  const onSignal = () => {
    void lab.destroy().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    for (const ns of [lab.host, lab.site, lab.peer]) {
      await run('ip', ['netns', 'add', ns])
      await ipn(ns, ['link', 'set', 'lo', 'up'])
      for (const k of ['all', 'default'])
        await nsExec(ns, 'sysctl', ['-qw', `net.ipv6.conf.${k}.disable_ipv6=1`])
    }
    await nsExec(lab.site, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
    for (const ns of [lab.site, lab.peer])
      for (const k of ['all', 'default'])
        await nsExec(ns, 'sysctl', ['-qw', `net.ipv4.conf.${k}.rp_filter=0`])
    await run('ip', [
      'link',
      'add',
      lab.lanIf,
      'netns',
      lab.site,
      'type',
      'veth',
      'peer',
      'name',
      `${p}eth`,
      'netns',
      lab.host,
    ])
    await ipn(lab.site, ['addr', 'add', '10.20.0.1/24', 'dev', lab.lanIf])
    await ipn(lab.host, ['addr', 'add', `${LAN_HOST}/24`, 'dev', `${p}eth`])
    for (const dev of [
      [lab.site, lab.lanIf],
      [lab.host, `${p}eth`],
    ] as const)
      await ipn(dev[0], ['link', 'set', dev[1], 'up'])
    await ipn(lab.host, ['route', 'add', 'default', 'via', '10.20.0.1'])
    for (let i = 0; i < 2; i++) {
      const u = lab.uplinks[i]!
      const pi = lab.peerIfs[i]!
      await run('ip', [
        'link',
        'add',
        u,
        'netns',
        lab.site,
        'type',
        'veth',
        'peer',
        'name',
        pi,
        'netns',
        lab.peer,
      ])
      await ipn(lab.site, ['addr', 'add', `198.18.100.${4 * i + 1}/30`, 'dev', u])
      await ipn(lab.peer, ['addr', 'add', `198.18.100.${4 * i + 2}/30`, 'dev', pi])
      await ipn(lab.site, ['link', 'set', u, 'up'])
      await ipn(lab.peer, ['link', 'set', pi, 'up'])
      await nsExec(lab.peer, 'sysctl', ['-qw', `net.ipv4.conf.${pi}.rp_filter=0`])
    }
    await ipn(lab.peer, ['addr', 'add', `${SERVICE}/32`, 'dev', 'lo'])
    await ipn(lab.peer, ['route', 'add', '10.20.0.0/24', 'via', '198.18.100.1'])
    await ipn(lab.site, ['route', 'add', `${SERVICE}/32`, 'via', lab.gateways[0]])
    return lab
  } catch (err) {
    await lab.destroy()
    throw err
  }
}

/** Table `table` sends the service over uplink `slot`; `fwmark` selects it. */
export async function steer(lab: BpfLab, fwmark: number, table: number, slot: 0 | 1) {
  await ipn(lab.site, [
    'route',
    'replace',
    `${SERVICE}/32`,
    'via',
    lab.gateways[slot],
    'table',
    String(table),
  ])
  const rules = await ipn(lab.site, ['rule', 'show', 'table', String(table)])
  if (!rules.stdout.trim())
    await ipn(lab.site, [
      'rule',
      'add',
      'priority',
      '1050',
      'fwmark',
      `0x${fwmark.toString(16)}`,
      'table',
      String(table),
    ])
}

export interface IfCounters {
  packets: number
  bytes: number
}

/** Receive counters of the peer's two uplink interfaces. */
export async function peerRx(lab: BpfLab): Promise<[IfCounters, IfCounters]> {
  const out = await ipn(lab.peer, ['-j', '-s', 'link', 'show'])
  const links = JSON.parse(out.stdout) as { ifname: string; stats64: { rx: IfCounters } }[]
  const get = (name: string) => {
    const l = links.find((x) => x.ifname === name)
    if (!l) throw new Error(`no ${name} in ${lab.peer}`)
    return { packets: l.stats64.rx.packets, bytes: l.stats64.rx.bytes }
  }
  return [get(lab.peerIfs[0]), get(lab.peerIfs[1])]
}

export function traffic(ns: string, args: string[], timeoutMs = 30_000) {
  return nsExec(ns, TSX, [TRAFFIC, ...args], { timeoutMs })
}

/** Starts a long-running traffic process; resolves once it printed `ready`. */
export async function trafficServer(lab: BpfLab, ns: string, args: string[]): Promise<number> {
  const child = spawn('ip', ['netns', 'exec', ns, TSX, TRAFFIC, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error('spawn traffic server')
  lab.pids.push(child.pid)
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  await pollUntil('traffic server ready', () => (out.includes('ready') ? true : undefined), {
    timeoutMs: 15_000,
  })
  return child.pid
}

export async function makeCert(lab: BpfLab): Promise<{ cert: string; key: string }> {
  const cert = join(lab.tmp, 'cert.pem')
  const key = join(lab.tmp, 'key.pem')
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=backup.example',
  ])
  return { cert, key }
}
