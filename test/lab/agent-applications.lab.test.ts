/**
 * Operator-defined applications in the running agent: the real control plane defines
 * `backup` (SNI/Host suffix `backup.example`, UDP ports 9100-9199) with POST
 * /v1/applications, a policy names it, and the real agent CLI (`run --lan-interface`) on
 * site 0 gets it in its desired state. From site 0's LAN host:
 * - a TLS flow with SNI backup.example takes the backup class (mark 0x7300, the class table
 *   that reaches site 1), and counts as application `backup` on /metrics;
 * - a UDP flow to port 9150 takes the backup class from its first packet (by port);
 * - a TLS flow with another SNI takes the `web` class (https) instead;
 * - a PUT that drops the ports reaches the agent without a restart: new UDP flows to 9150
 *   are no longer the backup class.
 * (The classifier alone is covered by classifier.lab.test.ts, its attachment by
 * agent-classifier.lab.test.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FlowEntry } from '../../agent/bpf'
import { traffic } from './bpf-lab'
import { classifierFlows } from './classifier-flows'
import { CliAgent, enrollSite, lanPing } from './cli-agent'
import { LabControlPlane } from './control-plane'
import { pollUntil, run } from './exec'
import { cleanupStale, Lab, type LabSite, labLeftovers } from './harness'

const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
const TRAFFIC = fileURLToPath(new URL('./bpf-traffic.ts', import.meta.url))
const METRICS_PORT = 9470
const TLS_PORT = 8443
const BACKUP_MARK = 0x7300
const WEB_MARK = 0x7301
let lab: Lab
let cp: LabControlPlane
let dir: string
const agents: CliAgent[] = []
const log = (m: string) => {
  if (process.env.LAB_VERBOSE) console.log(m)
}
const site = (i: number): LabSite => lab.site(i)

/** The agent's flow table, read from the program attached on site 0's LAN interface. */
const flows = () => classifierFlows(lab, site(0).ns)

/** Site 0's flows to site 1's LAN host on `dport`. */
async function flowsTo(dport: number): Promise<FlowEntry[]> {
  return (await flows()).filter((f) => f.dport === dport && f.dst === site(1).lanHost)
}

/** The device class table `table` sends site 1's LAN through, if it has the route. */
async function classRoute(table: number): Promise<string | undefined> {
  const res = await lab.exec(site(0).ns, 'ip', ['-j', 'route', 'show', 'table', String(table)])
  const routes = JSON.parse(res.stdout || '[]') as { dst: string; dev: string }[]
  return routes.find((r) => r.dst === site(1).lanPrefix)?.dev
}

async function metrics(): Promise<string> {
  const res = await lab.exec(site(0).ns, 'curl', [
    '-s',
    '--max-time',
    '10',
    `http://127.0.0.1:${METRICS_PORT}/metrics`,
  ])
  return res.stdout
}

/** A counter's value on /metrics, 0 when absent. */
function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

function tlsClient(servername: string, bytes: number) {
  return traffic(site(0).hostNs, [
    'tls-client',
    site(1).lanHost,
    String(TLS_PORT),
    servername,
    String(bytes),
  ])
}

beforeAll(async () => {
  await cleanupStale()
  lab = await Lab.create({ sites: 2, uplinks: 1, log })
  dir = await mkdtemp(join(tmpdir(), `patronus-lab-${lab.runId}-`))
  cp = new LabControlPlane(lab, dir)
  await cp.start()
  const app = await cp.api('POST', '/v1/applications', {
    name: 'backup',
    names: ['backup.example'],
    ports: [{ protocol: 'udp', ports: '9100-9199' }],
  })
  if (app.status !== 201) throw new Error(`application: ${JSON.stringify(app.body)}`)
  // Class order = priority order: backup 0 (mark 0x7300), web 1 (0x7301).
  for (const p of [
    {
      name: 'backup',
      priority: 10,
      match: { applications: ['backup'] },
      action: { preference: 'lowest-cost' },
    },
    {
      name: 'web',
      priority: 20,
      match: { applications: ['https'] },
      action: { preference: 'lowest-latency' },
    },
  ]) {
    const res = await cp.api('POST', '/v1/policies', p)
    if (res.status !== 201) throw new Error(`policy ${p.name}: ${JSON.stringify(res.body)}`)
  }
  for (const i of [0, 1]) {
    const { token } = await cp.createSite(`apps-${i}`, [site(i).lanPrefix])
    await enrollSite(lab, site(i), cp.url, token, join(dir, `site${i}`))
  }
  for (const i of [0, 1]) {
    agents[i] = CliAgent.start(lab, site(i), join(dir, `site${i}`), {
      longPollSeconds: 5,
      extraArgs:
        i === 0
          ? ['--lan-interface', lab.names.lanIf, '--metrics-listen', `127.0.0.1:${METRICS_PORT}`]
          : [],
    })
  }
  // A certificate for site 1's TLS server (clients do not verify it).
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
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
  const server = lab.spawnIn(site(1).hostNs, 'tls-server', TSX, [
    TRAFFIC,
    'tls-server',
    String(TLS_PORT),
    cert,
    key,
  ])
  let out = ''
  server.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  await pollUntil('the TLS server', () => (out.includes('ready') ? true : undefined), {
    timeoutMs: 15_000,
  })
}, 120_000)

afterAll(async () => {
  const runId = lab?.runId
  try {
    for (const a of agents) await a?.stop(lab).catch(() => {})
    await cp?.stop().catch(() => {})
    await lab?.destroy()
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true })
  }
  const problems = (agents[0]?.entries() ?? []).filter((e) => Number(e.level) >= 40)
  if (problems.length)
    console.log(`agent 0 warnings:\n${problems.map((e) => JSON.stringify(e)).join('\n')}`)
  const left = await labLeftovers(runId)
  expect(left).toEqual({ namespaces: [], sockets: [], processes: [], nftTables: [] })
}, 90_000)

describe('an operator-defined application in the running agent', () => {
  test('steers TLS with its SNI and UDP to its ports onto its policy class', async () => {
    const a = agents[0] as CliAgent
    // Meshed, and both classes' tables lead to site 1 (the classifier marks, pathmon fills).
    await pollUntil(
      'the class tables and the LAN ping',
      async () => {
        if (!a.running) throw new Error(`agent 0 exited:\n${a.logs.slice(-3000)}`)
        if (!(await classRoute(7300)) || !(await classRoute(7301))) return undefined
        return (await lanPing(lab, site(0), site(1), 1)).ok ? true : undefined
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${a.logs.slice(-3000)}`)
    })
    expect(a.has('eBPF classifier attached')).toBe(true)

    const got = await tlsClient('backup.example', 200_000)
    expect(got.stdout.trim(), got.stderr).toBe('200000')
    const other = await tlsClient('www.other.example', 50_000)
    expect(other.stdout.trim(), other.stderr).toBe('50000')
    const udp = await traffic(site(0).hostNs, [
      'udp-send',
      site(1).lanHost,
      '9150',
      '21000',
      '20',
      'plain',
    ])
    expect(udp.code, udp.stderr).toBe(0)

    const tls = await flowsTo(TLS_PORT)
    expect(tls).toHaveLength(2)
    // The backup flow's application is a named one (id >= 16); the other one is plain TLS.
    const backupFlow = tls.find((f) => f.appId >= 16)
    const webFlow = tls.find((f) => f.appId < 16)
    expect(
      backupFlow,
      JSON.stringify(tls, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    ).toBeDefined()
    expect(backupFlow?.classId).toBe(0)
    expect(backupFlow?.mark).toBe(BACKUP_MARK)
    expect(webFlow?.classId).toBe(1)
    expect(webFlow?.mark).toBe(WEB_MARK)
    const [byPort] = await flowsTo(9150)
    expect(byPort?.classId).toBe(0)
    expect(byPort?.mark).toBe(BACKUP_MARK)
    expect(byPort?.packets).toBe(20)

    const text = await metrics()
    const appBytes = counter(text, 'patronus_agent_application_bytes_total', 'application="backup"')
    expect(appBytes).toBeGreaterThan(200_000)
    expect(appBytes).toBeLessThan(260_000)
    // The class holds the TLS flow and the 20 datagrams besides.
    const classBytes = counter(text, 'patronus_agent_class_bytes_total', 'class="backup"')
    expect(classBytes).toBeGreaterThan(appBytes)
    expect(counter(text, 'patronus_agent_class_packets_total', 'class="web"')).toBeGreaterThan(0)
    expect(a.entries().some((e) => String(e.msg).includes('unknown application'))).toBe(false)
  }, 120_000)

  test('a changed application reaches the agent: without its ports, UDP 9150 leaves the class', async () => {
    const a = agents[0] as CliAgent
    const res = await cp.api('PUT', '/v1/applications/backup', { names: ['backup.example'] })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    // Each new UDP flow is decided on the tables of the moment: poll until one is not ours.
    let sport = 22000
    const flow = await pollUntil(
      'a UDP 9150 flow outside the backup class',
      async () => {
        if (!a.running) throw new Error('agent 0 exited')
        const port = sport++
        const sent = await traffic(site(0).hostNs, [
          'udp-send',
          site(1).lanHost,
          '9150',
          String(port),
          '2',
          'plain',
        ])
        if (sent.code !== 0) throw new Error(sent.stderr)
        const f = (await flowsTo(9150)).find((x) => x.sport === port)
        return f && f.classId === undefined ? f : undefined
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    )
    expect(flow.mark).toBe(0)
    // The names still steer.
    const got = await tlsClient('backup.example', 10_000)
    expect(got.stdout.trim(), got.stderr).toBe('10000')
    const backupFlows = (await flowsTo(TLS_PORT)).filter((f) => f.appId >= 16)
    expect(backupFlows.every((f) => f.classId === 0)).toBe(true)
    expect(backupFlows.length).toBeGreaterThanOrEqual(2)
  }, 60_000)
})
