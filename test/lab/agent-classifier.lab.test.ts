/**
 * The eBPF classifier, the agent side: the real agent CLI (`run --lan-interface`) on one lab site
 * attaches the eBPF classifier on the site's LAN interface, adds one `ip rule fwmark` per
 * policy class (application policies included) before pathmon's match rules, exports the
 * classifier's counters on /metrics, and on SIGTERM removes the filter and the rules.
 * (Traffic steering by class is covered by classifier.lab.test.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CLASSIFIER_RULE_PRIORITY } from '../../agent/bpf'
import { CliAgent, enrollSite } from './cli-agent'
import { LabControlPlane } from './control-plane'
import { pollUntil } from './exec'
import { cleanupStale, Lab, type LabSite, labLeftovers } from './harness'

const METRICS_PORT = 9469
let lab: Lab
let cp: LabControlPlane
let dir: string
let agent: CliAgent | undefined
const log = (m: string) => {
  if (process.env.LAB_VERBOSE) console.log(m)
}

function site(): LabSite {
  return lab.site(0)
}

async function ingressFilters(): Promise<
  { pref?: number; options?: { prog?: { name?: string } } }[]
> {
  const res = await lab.exec(site().ns, 'tc', [
    '-j',
    'filter',
    'show',
    'dev',
    lab.names.lanIf,
    'ingress',
  ])
  if (res.code !== 0 || !res.stdout.trim()) return []
  return JSON.parse(res.stdout)
}

async function fwmarkRules(): Promise<{ priority: number; fwmark?: string; table?: string }[]> {
  const res = await lab.exec(site().ns, 'ip', ['-j', '-4', 'rule', 'show'])
  const rules = JSON.parse(res.stdout || '[]') as {
    priority: number
    fwmark?: string
    table?: string
  }[]
  return rules.filter((r) => r.priority === CLASSIFIER_RULE_PRIORITY)
}

beforeAll(async () => {
  await cleanupStale()
  lab = await Lab.create({ sites: 1, uplinks: 1, log })
  dir = await mkdtemp(join(tmpdir(), `patronus-lab-${lab.runId}-`))
  cp = new LabControlPlane(lab, dir)
  await cp.start()
}, 120_000)

afterAll(async () => {
  const runId = lab?.runId
  try {
    await agent?.stop(lab).catch(() => {})
    await cp?.stop().catch(() => {})
    await lab?.destroy()
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true })
  }
  const left = await labLeftovers(runId)
  expect(left).toEqual({ namespaces: [], sockets: [], processes: [], nftTables: [] })
}, 90_000)

describe('the agent with the eBPF classifier on its LAN interface', () => {
  test('attaches, adds a fwmark rule per class, exports counters, and cleans up on SIGTERM', async () => {
    for (const p of [
      {
        name: 'voice',
        priority: 10,
        match: { applications: ['voip'] },
        action: { preference: 'lowest-latency' },
      },
      {
        name: 'web',
        priority: 20,
        match: { protocols: ['tcp'], ports: [443] },
        action: { preference: 'lowest-cost' },
      },
    ]) {
      const res = await cp.api('POST', '/v1/policies', p)
      expect(res.status, JSON.stringify(res.body)).toBe(201)
    }
    const { token } = await cp.createSite('lab-site-0', [site().lanPrefix])
    await enrollSite(lab, site(), cp.url, token, join(dir, 'site0'))
    agent = CliAgent.start(lab, site(), join(dir, 'site0'), {
      longPollSeconds: 5,
      extraArgs: [
        '--lan-interface',
        lab.names.lanIf,
        '--metrics-listen',
        `127.0.0.1:${METRICS_PORT}`,
      ],
    })
    const a = agent
    const rules = await pollUntil(
      'class fwmark rules',
      async () => {
        if (!a.running) throw new Error(`agent exited:\n${a.logs.slice(-3000)}`)
        const r = await fwmarkRules()
        return r.length === 2 ? r : undefined
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${a.logs.slice(-3000)}`)
    })
    // Classes in policy priority order: voice 0 (mark 0x7300), web 1 (0x7301).
    expect(rules.map((r) => [r.fwmark, r.table]).sort()).toEqual([
      ['0x7300', '7300'],
      ['0x7301', '7301'],
    ])
    expect(a.has('eBPF classifier attached')).toBe(true)
    const filters = await ingressFilters()
    expect(filters.some((f) => f.options?.prog?.name === 'pt_classify')).toBe(true)

    const metrics = await lab.exec(site().ns, 'curl', [
      '-s',
      '--max-time',
      '10',
      `http://127.0.0.1:${METRICS_PORT}/metrics`,
    ])
    expect(metrics.stdout).toContain('patronus_agent_class_packets_total')

    expect(await a.stop(lab)).toBe(0)
    expect(await fwmarkRules()).toEqual([])
    expect((await ingressFilters()).filter((f) => f.options?.prog)).toEqual([])
  }, 120_000)
})
