/**
 * ECMP and QoS in the running agent (docs/qos.md): the real control plane and the real agent CLI
 * (`run --lan-interface`) on two sites, site 0 with two uplinks (40 and 20 Mbit/s), site 1
 * with one, so site 0 has two paths to site 1 with capacities 2:1.
 * - a `load-balance` policy: 100 UDP flows from LAN host 0 spread over the two tunnels by
 *   weight (within 15%), each flow on one path (its flow entry has one path mark, and the
 *   tunnels' packet counters add up flow by flow);
 * - `balance: per-packet` (a policy change, no reload): one flow's packets spread 2:1;
 * - the path of uplink 1 goes down: the weights follow, new flows all take uplink 0;
 * - a policy with `qos: {rateMbps: 8, ceilMbps: 8}` holds its class at 8 Mbit/s on the
 *   uplink's HTB (an ifb fed by the tunnels' egress) while another class takes the rest;
 * - the classifier's per-class counters reach the control plane (GET /v1/sites/{id}/traffic);
 * - SIGTERM removes the ECMP rules, the ifb devices and the classifier.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CLASSIFIER_RULE_PRIORITY, fromHexList } from '../../agent/bpf'
import { ECMP_MARK_BASE, htbMinor, ifbName, isEcmpTable } from '../../agent/dataplane'
import { traffic } from './bpf-lab'
import { classifierFlows } from './classifier-flows'
import { CliAgent, enrollSite } from './cli-agent'
import { LabControlPlane } from './control-plane'
import { pollUntil, run } from './exec'
import { cleanupStale, Lab, type LabSite, labLeftovers } from './harness'

const BFD_ARGS = ['--bfd-interval-ms', '50', '--bfd-multiplier', '3']
const BW = [40, 20] as const
const CAP_MBIT = 8
const ECMP_PORT = 5300
let lab: Lab
let cp: LabControlPlane
let dir: string
const agents: CliAgent[] = []
const siteIds: string[] = []
const policyIds: Record<string, string> = {}
/** Datagrams of the load-balance class sent so far (what the control plane must count). */
let spreadSent = 0
const figures: Record<string, unknown> = {}
const log = (m: string) => {
  if (process.env.LAB_VERBOSE) console.log(m)
}
const site = (i: number): LabSite => lab.site(i)
const tunnel = (slot: number) => `${site(0).wgPrefix}${slot}-0`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function txPackets(): Promise<[number, number]> {
  const res = await lab.exec(site(0).ns, 'ip', ['-j', '-s', 'link', 'show'])
  const links = JSON.parse(res.stdout) as { ifname: string; stats64: { tx: { packets: number } } }[]
  const get = (name: string) => links.find((l) => l.ifname === name)?.stats64.tx.packets ?? 0
  return [get(tunnel(0)), get(tunnel(1))]
}

/** One of the agent's classifier maps, raw (for failure messages). */
async function mapDump(name: string): Promise<{ key: unknown; value: unknown }[]> {
  const ns = site(0).ns
  const filters = JSON.parse(
    (await lab.exec(ns, 'tc', ['-j', 'filter', 'show', 'dev', lab.names.lanIf, 'ingress'])).stdout,
  ) as { options?: { prog?: { id?: number } } }[]
  const progId = filters.find((f) => f.options?.prog?.id)?.options?.prog?.id
  const bpftool = (args: string[]) =>
    run('nsenter', [`--net=/var/run/netns/${ns}`, 'bpftool', '-j', ...args])
  const prog = JSON.parse((await bpftool(['prog', 'show', 'id', String(progId)])).stdout) as {
    map_ids: number[]
  }
  for (const id of prog.map_ids) {
    const info = JSON.parse((await bpftool(['map', 'show', 'id', String(id)])).stdout)
    if (info.name === name)
      return JSON.parse((await bpftool(['map', 'dump', 'id', String(id)])).stdout)
  }
  return []
}

/** Class 2's entry and buckets as the kernel has them, and the agent's ECMP log. */
async function ecmpState(a: CliAgent): Promise<string> {
  const classes = await mapDump('pt_classes')
  const lb = await mapDump('pt_lb')
  const marks = lb.slice(128, 192).map((e) => fromHexList(e.value).readUInt32LE(0).toString(16))
  const log = a
    .entries()
    .filter((e) => e.msg === 'ecmp buckets' || Number(e.level) >= 40)
    .map((e) => JSON.stringify(e))
  return `class 2: ${JSON.stringify(classes[2]?.value)}\nbuckets: ${marks.join(' ')}\n${log.join('\n')}`
}

/** The agent's flow table, read from the program attached on site 0's LAN interface. */
const flows = () => classifierFlows(lab, site(0).ns)

/**
 * The latest ECMP shares the agent logged: {"0-0": 0.67, "1-0": 0.33} for the class, once
 * they have held for `settledMs` (a path joining right after would move buckets).
 */
function shares(a: CliAgent, settledMs = 0): Record<string, number> | undefined {
  const last = a
    .entries()
    .filter((e) => e.msg === 'ecmp buckets')
    .at(-1)
  if (!last || Date.now() - Number(last.time) < settledMs) return undefined
  const all = last.shares as Record<string, Record<string, number>> | undefined
  return all?.['2']
}

async function ecmpRules(): Promise<{ priority: number; fwmark?: string; table?: string }[]> {
  const res = await lab.exec(site(0).ns, 'ip', ['-j', '-4', 'rule', 'show'])
  return (JSON.parse(res.stdout || '[]') as { priority: number; table?: string }[]).filter(
    (r) => r.priority === CLASSIFIER_RULE_PRIORITY && isEcmpTable(Number(r.table)),
  )
}

/** Sent bytes per HTB class minor on a device (iproute2 6.1 prints no JSON for htb). */
async function htbSent(dev: string): Promise<Map<number, number>> {
  return new Map([...(await htbStats(dev))].map(([minor, s]) => [minor, s.bytes]))
}

/** Sent bytes and dropped packets per HTB class minor on a device. */
async function htbStats(dev: string): Promise<Map<number, { bytes: number; dropped: number }>> {
  const out = await lab.exec(site(0).ns, 'tc', ['-s', 'class', 'show', 'dev', dev])
  const stats = new Map<number, { bytes: number; dropped: number }>()
  const re = /class htb 1:([0-9a-f]+) [\s\S]*?Sent (\d+) bytes \d+ pkt \(dropped (\d+)/g
  for (const m of out.stdout.matchAll(re))
    stats.set(Number.parseInt(m[1] ?? '0', 16), { bytes: Number(m[2]), dropped: Number(m[3]) })
  return stats
}

/** The local slot class table `table` sends site 1's LAN through. */
async function classSlot(table: number): Promise<number | undefined> {
  const res = await lab.exec(site(0).ns, 'ip', ['-j', 'route', 'show', 'table', String(table)])
  const routes = JSON.parse(res.stdout || '[]') as { dst: string; dev: string }[]
  const r = routes.find((x) => x.dst === site(1).lanPrefix)
  const m = r ? /(\d+)-(\d+)$/.exec(r.dev) : null
  return m ? Number(m[1]) : undefined
}

beforeAll(async () => {
  await cleanupStale()
  lab = await Lab.create({ sites: 2, uplinks: [2, 1], log })
  dir = await mkdtemp(join(tmpdir(), `patronus-lab-${lab.runId}-`))
  cp = new LabControlPlane(lab, dir)
  await cp.start()
  // Class order = priority order: capped 0, rest 1, spread 2.
  for (const p of [
    {
      name: 'capped',
      priority: 10,
      match: { protocols: ['udp'], ports: [5201] },
      action: {
        preference: 'highest-bandwidth',
        qos: { rateMbps: CAP_MBIT, ceilMbps: CAP_MBIT, priority: 0 },
      },
    },
    {
      name: 'rest',
      priority: 20,
      match: { protocols: ['udp'], ports: [5202] },
      action: { preference: 'highest-bandwidth' },
    },
    {
      name: 'spread',
      priority: 30,
      match: { protocols: ['udp'], ports: [ECMP_PORT] },
      action: { preference: 'load-balance' },
    },
  ]) {
    const res = await cp.api('POST', '/v1/policies', p)
    if (res.status !== 201) throw new Error(`policy ${p.name}: ${JSON.stringify(res.body)}`)
    policyIds[p.name] = res.body.id
  }
  for (const i of [0, 1]) {
    const { siteId, token } = await cp.createSite(`ecmp-${i}`, [site(i).lanPrefix])
    siteIds[i] = siteId
    await enrollSite(lab, site(i), cp.url, token, join(dir, `site${i}`))
    const list = await cp.api('GET', `/v1/sites/${siteId}/uplinks`)
    for (const u of list.body.items as { id: string; slot: number }[]) {
      const bandwidthMbps = i === 0 ? BW[u.slot as 0 | 1] : 1000
      const res = await cp.api('PATCH', `/v1/uplinks/${u.id}`, { bandwidthMbps })
      if (res.status !== 200) throw new Error(`uplink bandwidth: ${JSON.stringify(res.body)}`)
    }
  }
  for (const i of [0, 1]) {
    agents[i] = CliAgent.start(lab, site(i), join(dir, `site${i}`), {
      longPollSeconds: 5,
      extraArgs: [...BFD_ARGS, ...(i === 0 ? ['--lan-interface', lab.names.lanIf] : [])],
    })
  }
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
  console.log(`ecmp/qos figures: ${JSON.stringify(figures)}`)
  // What went wrong, if anything, in the agent with the classifier.
  const problems = (agents[0]?.entries() ?? []).filter((e) => Number(e.level) >= 40)
  if (problems.length)
    console.log(`agent 0 warnings:\n${problems.map((e) => JSON.stringify(e)).join('\n')}`)
  const left = await labLeftovers(runId)
  expect(left).toEqual({ namespaces: [], sockets: [], processes: [], nftTables: [] })
}, 90_000)

describe('ECMP and HTB shaping in the running agent (2 paths, 40 and 20 Mbit/s)', () => {
  test('100 flows of a load-balance class spread 2:1 over the two paths, each on one', async () => {
    const a = agents[0] as CliAgent
    const spread = await pollUntil(
      'ECMP over both paths',
      async () => {
        if (!a.running) throw new Error('agent 0 exited')
        const s = shares(a, 2_000)
        return s && Object.keys(s).length === 2 ? s : undefined
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${a.logs.slice(-4000)}`)
    })
    figures.shares = spread
    expect(spread['0-0']).toBeCloseTo(2 / 3, 1)
    const before = await txPackets()
    const sentAt = Date.now()
    const res = await traffic(site(0).hostNs, [
      'udp-flows',
      site(1).lanHost,
      String(ECMP_PORT),
      '20000',
      '100',
      '4',
    ])
    expect(res.code).toBe(0)
    spreadSent += 400
    await sleep(300)
    const after = await txPackets()
    const ours = (await flows()).filter((f) => f.dport === ECMP_PORT && f.sport >= 20000)
    expect(ours.length).toBe(100)
    // Flows per mark. A path's index in the class is allocated as paths come up, so which
    // mark is which tunnel is learnt from the tunnels' counters, not assumed.
    const slotOfMark = new Map<number, number>()
    const on = [0, 0]
    for (const f of ours) {
      expect(f.packets).toBe(4)
      expect(f.mark & 0xfff0).toBe(ECMP_MARK_BASE | 0x20)
      slotOfMark.set(f.mark, (slotOfMark.get(f.mark) ?? 0) + 1)
    }
    const history = a
      .entries()
      .filter((e) => e.msg === 'ecmp buckets' || e.msg === 'path decision')
      .map((e) => `${e.time} ${e.msg} ${JSON.stringify(e.shares ?? [e.event, e.class, e.to])}`)
    expect(
      slotOfMark.size,
      slotOfMark.size === 2
        ? ''
        : `marks ${JSON.stringify([...slotOfMark])} sent at ${sentAt}\n${history.join('\n')}\n${await ecmpState(a)}`,
    ).toBe(2)
    const sent = [after[0] - before[0], after[1] - before[1]]
    figures.tunnelPackets = sent
    // Each mark's flows x 4 packets must equal one tunnel's count: every flow stayed on one path.
    const counts = [...slotOfMark.values()].map((n) => n * 4)
    const matches = (x: number, y: number) => Math.abs(x - y) <= 3
    const direct =
      matches(counts[0] ?? -1, sent[0] ?? -2) && matches(counts[1] ?? -1, sent[1] ?? -2)
    const swapped =
      matches(counts[0] ?? -1, sent[1] ?? -2) && matches(counts[1] ?? -1, sent[0] ?? -2)
    expect(direct || swapped, `flows per mark ${counts} vs tunnel packets ${sent}`).toBe(true)
    on[0] = Math.round((sent[0] ?? 0) / 4)
    on[1] = Math.round((sent[1] ?? 0) / 4)
    figures.flowsPerPath = on
    expect(Math.abs((on[0] ?? 0) / 100 - 2 / 3)).toBeLessThanOrEqual(0.15)
  }, 90_000)

  test('balance per-packet: the packets of one flow spread by weight over both paths', async () => {
    const a = agents[0] as CliAgent
    expect(Object.keys(shares(a) ?? {})).toHaveLength(2)
    const res = await cp.api('PATCH', `/v1/policies/${policyIds.spread}`, {
      action: { preference: 'load-balance', balance: 'per-packet' },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    await pollUntil(
      'the per-packet buckets',
      async () => {
        const last = a
          .entries()
          .filter((e) => e.msg === 'ecmp buckets')
          .at(-1)
        return (last?.perPacket as number[] | undefined)?.includes(2) ? true : undefined
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    )
    const before = await txPackets()
    const sent = await traffic(site(0).hostNs, [
      'udp-send',
      site(1).lanHost,
      String(ECMP_PORT),
      '22000',
      '300',
      'plain',
    ])
    expect(sent.code).toBe(0)
    spreadSent += 300
    await sleep(300)
    const after = await txPackets()
    const d = [after[0] - before[0], after[1] - before[1]]
    figures.perPacket = d
    expect((d[0] ?? 0) + (d[1] ?? 0)).toBeGreaterThanOrEqual(300)
    expect((d[0] ?? 0) + (d[1] ?? 0)).toBeLessThanOrEqual(303)
    const spreadOk = Math.abs((d[0] ?? 0) / 300 - 2 / 3) <= 0.15
    expect(spreadOk, spreadOk ? '' : await ecmpState(a)).toBe(true)
  }, 60_000)

  test('a member path goes down: the buckets follow, new flows all take the other path', async () => {
    const a = agents[0] as CliAgent
    await lab.impair(0, 1, { blackhole: true })
    try {
      const s = await pollUntil(
        'ECMP on uplink 0 only',
        async () => {
          const x = shares(a)
          return x && Object.keys(x).length === 1 && x['0-0'] === 1 ? x : undefined
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      )
      expect(s).toEqual({ '0-0': 1 })
      const before = await txPackets()
      const res = await traffic(site(0).hostNs, [
        'udp-flows',
        site(1).lanHost,
        String(ECMP_PORT),
        '21000',
        '30',
        '4',
      ])
      expect(res.code).toBe(0)
      spreadSent += 120
      await sleep(300)
      const after = await txPackets()
      figures.afterDown = [after[0] - before[0], after[1] - before[1]]
      expect(after[0] - before[0]).toBeGreaterThanOrEqual(120)
      expect(after[1] - before[1]).toBeLessThanOrEqual(3)
    } finally {
      await lab.impair(0, 1, {})
    }
  }, 60_000)

  test('HTB holds the capped class at its rate while another class uses the rest', async () => {
    const capSlot = await classSlot(7300)
    const restSlot = await classSlot(7301)
    expect(capSlot).toBeDefined()
    expect(restSlot).toBe(capSlot)
    const ifbs = [0, 1].map((slot) => ifbName(site(0).wgPrefix, slot))
    // iperf3 (C) offers the load: Node blasters fell below the cap on a machine at load 10.
    const servers = [5201, 5202].map((port) =>
      lab.spawnIn(site(1).hostNs, `iperf3 ${port}`, 'iperf3', ['-s', '-1', '-p', String(port)]),
    )
    await pollUntil(
      'the iperf3 servers',
      async () => {
        const ss = await lab.exec(site(1).hostNs, 'ss', ['-ltn'])
        return ss.stdout.includes(':5201') && ss.stdout.includes(':5202') ? true : undefined
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    )
    const client = (port: number, mbit: number) =>
      lab.exec(
        site(0).hostNs,
        'iperf3',
        [
          '-u',
          '-c',
          site(1).lanHost,
          '-p',
          String(port),
          '-b',
          `${mbit}M`,
          '-l',
          '1200',
          '-t',
          '6',
        ],
        30_000,
      )
    const blasts = Promise.all([client(5201, 20), client(5202, 45)])
    await sleep(1_500) // the queues fill first: measure the steady state
    // Both uplinks' trees are read (a class may move uplink while we measure: each uplink
    // caps it the same), each read timed at the middle of its tc runs: on a busy machine
    // starting tc takes long enough to bias the rate.
    const read = async () => {
      const start = performance.now()
      const sent = await Promise.all(ifbs.map((d) => htbSent(d)))
      return { sent, at: (start + performance.now()) / 2 }
    }
    const r0 = await read()
    await sleep(3_500)
    const r1 = await read()
    const secs = (r1.at - r0.at) / 1000
    const endSlot = await classSlot(7300)
    const done = await blasts
    for (const r of done) expect(r.code, r.stderr).toBe(0)
    for (const srv of servers) await lab.stop(srv.pid)
    const rate = (minor: number) =>
      [0, 1].reduce(
        (sum, k) => sum + ((r1.sent[k]?.get(minor) ?? 0) - (r0.sent[k]?.get(minor) ?? 0)),
        0,
      ) *
      (8 / secs / 1e6)
    const capped = rate(htbMinor(0))
    const rest = rate(0xff)
    // The uplink the classes shared: the smaller one if they moved while measured.
    const uplinkMbit = Math.min(BW[capSlot as 0 | 1], BW[(endSlot ?? capSlot) as 0 | 1])
    figures.htb = { uplinkMbit, capped: capped.toFixed(1), rest: rest.toFixed(1) }
    const redirects = async () => {
      const out: string[] = []
      for (const slot of [0, 1]) {
        const r = await lab.exec(site(0).ns, 'tc', [
          '-s',
          'filter',
          'show',
          'dev',
          tunnel(slot),
          'egress',
        ])
        out.push(`${tunnel(slot)}: ${r.stdout}`)
      }
      return `slots ${capSlot} -> ${endSlot}\n${out.join('\n')}`
    }
    const ok = Math.abs(capped - CAP_MBIT) / CAP_MBIT <= 0.15
    expect(ok, ok ? '' : await redirects()).toBe(true)
    // The rest: what the uplink leaves (it was offered more than that). On a saturated
    // machine less of it may reach the uplink at all (the 2 cores also run wireguard-go,
    // iperf3 and other helpers' tests); then HTB must not be what held it back: the rest
    // class dropped nothing and still took more than the capped class.
    const restDropped = (
      await Promise.all(ifbs.map(async (d) => (await htbStats(d)).get(0xff)?.dropped ?? 0))
    ).reduce((a, b) => a + b, 0)
    figures.htb = { ...(figures.htb as object), restDropped }
    const tookTheRest = rest > (uplinkMbit - CAP_MBIT) * 0.8
    expect(
      tookTheRest || (restDropped === 0 && rest > capped),
      `rest ${rest.toFixed(1)} Mbit/s, dropped ${restDropped}`,
    ).toBe(true)
    expect(capped + rest).toBeLessThan(Math.max(...BW) * 1.1)
  }, 60_000)

  test('the per-class traffic reaches the control plane (telemetry, GET /traffic)', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString()
    const to = new Date(Date.now() + 3_600_000).toISOString()
    // Every datagram of the load-balance class sent (100 flows x 4, 300, 30 x 4 when every
    // test ran). Telemetry goes every
    // 10 s and carries what was read after the previous batch: up to two batches.
    const classes = await pollUntil(
      'the spread class at the control plane',
      async () => {
        const res = await cp.api(
          'GET',
          `/v1/sites/${siteIds[0]}/traffic?from=${from}&to=${to}&step=3600`,
        )
        if (res.status !== 200) throw new Error(`GET traffic: ${JSON.stringify(res.body)}`)
        const list = res.body.classes as { className: string; packets: number; bytes: number }[]
        const spread = list.find((c) => c.className === 'spread')
        const capped = list.find((c) => c.className === 'capped')
        const rest = list.find((c) => c.className === 'rest')
        // The HTB blasts came last: wait for them too (one report of lag).
        return spread && spread.packets >= spreadSent && capped && rest ? list : undefined
      },
      { timeoutMs: 40_000, intervalMs: 1_000 },
    )
    const by = Object.fromEntries(classes.map((c) => [c.className, c]))
    figures.reported = Object.fromEntries(classes.map((c) => [c.className, c.packets]))
    expect(by.spread?.packets).toBe(spreadSent)
    expect(by.capped?.bytes).toBeGreaterThan(1_000_000)
    expect(by.rest?.bytes).toBeGreaterThan(by.capped?.bytes ?? 0)
  }, 60_000)

  test('SIGTERM removes the ECMP rules, the ifb devices and the classifier', async () => {
    const a = agents[0] as CliAgent
    expect((await ecmpRules()).length).toBeGreaterThan(0)
    expect(await a.stop(lab)).toBe(0)
    expect(await ecmpRules()).toEqual([])
    const links = await lab.exec(site(0).ns, 'ip', ['-j', 'link', 'show'])
    const names = (JSON.parse(links.stdout) as { ifname: string }[]).map((l) => l.ifname)
    expect(names.filter((n) => n.startsWith(`${site(0).wgPrefix}q`))).toEqual([])
    const filters = await lab.exec(site(0).ns, 'tc', [
      '-j',
      'filter',
      'show',
      'dev',
      lab.names.lanIf,
      'ingress',
    ])
    expect(filters.stdout.includes('pt_classify')).toBe(false)
  }, 60_000)
})
