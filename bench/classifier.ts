/**
 * `sudo npm run bench:classifier`: what the eBPF classifier costs on the site's LAN-facing
 * ingress, in a lab of its own (test/lab/bpf-lab.ts: LAN host -> site -> two veth uplinks ->
 * peer). LAN host to peer: ping RTT, iperf3 TCP throughput and a small-packet UDP flood
 * (packets/s at the peer, and as the classifier's own per-class counters saw it), with the
 * classifier attached (a realistic policy set, bench/classifier/policy.ts) and not attached,
 * alternating in every round so other work on the shared machine hits both modes. Writes
 * bench/results/classifier.json and the "Classifier" section of docs/benchmarks.md.
 * Goal: < 5% throughput cost, < 20 us added latency.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release } from 'node:os'
import { join } from 'node:path'
import { Classifier, compilePolicies } from '../agent/bpf'
import {
  type BpfLab,
  createBpfLab,
  LAN_HOST,
  OBJECT,
  peerRx,
  requireTools,
  SERVICE,
  steer,
} from '../test/lab/bpf-lab'
import { nsExec, pollUntil, run } from '../test/lab/exec'
import {
  cpuJiffies,
  iperfTcp,
  median,
  pingSamples,
  rttStats,
  type TcpRun,
  udpFlood,
} from './classifier/measure'
import { BENCH_CLASS, benchSpec, CLASS_MARK_BASE, CLASSES, PROBE_CLASS } from './classifier/policy'
import {
  type ClassifierResults,
  type FloodRun,
  type PhaseFigures,
  renderMarkdown,
  writeSection,
} from './classifier/report'

const ROUNDS = Number(process.env.BENCH_CLASSIFIER_ROUNDS ?? 6)
const PINGS = 200
const PING_INTERVAL_S = '0.01'
const IPERF_SECONDS = 5
const FLOOD_SECONDS = 3
const FLOOD_PAYLOAD = 32
const GOAL_COST_PCT = 5
const GOAL_ADDED_US = 20
/** The whole run is killed (and cleaned up) past this. */
const WATCHDOG_MS = 225_000

if (process.getuid?.() !== 0) {
  console.error(
    'bench:classifier needs root (namespaces, tc, bpftool): sudo npm run bench:classifier',
  )
  process.exit(1)
}

type Mode = 'without' | 'with'

const startedAt = Date.now()
const load0 = loadavg()[0] ?? 0
await requireTools()
const lab: BpfLab = await createBpfLab()
let classifier: Classifier | undefined

async function cleanup(): Promise<void> {
  const c = classifier
  classifier = undefined
  await c?.detach().catch(() => {})
  await lab.destroy()
}

const watchdog = setTimeout(() => {
  console.error(`bench:classifier: over ${WATCHDOG_MS / 1000} s, cleaning up and giving up`)
  void cleanup().finally(() => process.exit(1))
}, WATCHDOG_MS)
watchdog.unref()

/** Namespaces of other lab runs (another benchmark or test sharing the machine). */
async function otherLabNamespaces(): Promise<number> {
  const out = await run('ip', ['netns', 'list'], { allowFail: true })
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith('pt-') && !n.startsWith(`pt-${lab.runId}-`)).length
}

try {
  for (const c of CLASSES) await steer(lab, CLASS_MARK_BASE + c, 7300 + c, 0)
  for (const gw of lab.gateways) await nsExec(lab.site, 'ping', ['-c1', '-W2', gw])
  const server = spawn('ip', ['netns', 'exec', lab.peer, 'iperf3', '-s', '-B', SERVICE], {
    stdio: 'ignore',
  })
  if (server.pid === undefined) throw new Error('spawn iperf3 server')
  lab.pids.push(server.pid)
  await pollUntil(
    'iperf3 server',
    async () =>
      (await nsExec(lab.peer, 'ss', ['-ltn'])).stdout.includes(':5201') ? true : undefined,
    { timeoutMs: 10_000, intervalMs: 100 },
  )
  const tables = compilePolicies(benchSpec())
  if (tables.warnings.length) throw new Error(`policy warnings: ${tables.warnings.join('; ')}`)

  // Warm-up (ARP, caches, slow start), not recorded.
  await pingSamples(lab.host, SERVICE, 20, PING_INTERVAL_S)
  await iperfTcp(lab.host, SERVICE, 1)

  const others = [await otherLabNamespaces()]
  const attachApplyMs: number[] = []
  const acc = {
    without: {
      rtt: [] as number[],
      tcp: [] as TcpRun[],
      floods: [] as FloodRun[],
      cpu: [] as number[],
    },
    with: {
      rtt: [] as number[],
      tcp: [] as TcpRun[],
      floods: [] as FloodRun[],
      cpu: [] as number[],
    },
  }
  const classification = { benchClassPackets: 0, probeClassPackets: 0, unclassified: 0, dpiHits: 0 }

  const phase = async (round: number, mode: Mode) => {
    if (mode === 'with') {
      const t0 = performance.now()
      classifier = new Classifier({ ifname: lab.lanIf, netns: lab.site, objectPath: OBJECT })
      await classifier.attach()
      await classifier.apply(tables)
      attachApplyMs.push(Math.round(performance.now() - t0))
    }
    const [busy0, total0] = cpuJiffies()
    const rtts = await pingSamples(lab.host, SERVICE, PINGS, PING_INTERVAL_S)
    const tcp = await iperfTcp(lab.host, SERVICE, IPERF_SECONDS)
    const rxBefore = await peerRx(lab)
    const cBefore = await classifier?.counters()
    const flood = await udpFlood(lab.host, SERVICE, FLOOD_SECONDS, FLOOD_PAYLOAD)
    const rxAfter = await peerRx(lab)
    const cAfter = await classifier?.counters()
    const [busy1, total1] = cpuJiffies()
    const peerRxPackets = rxAfter[0].packets - rxBefore[0].packets
    const run: FloodRun = {
      round,
      seconds: flood.seconds,
      senderPackets: flood.sent,
      peerRxPackets,
      peerPps: Math.round(peerRxPackets / flood.seconds),
    }
    if (cBefore && cAfter) {
      const total = (c: typeof cAfter) =>
        Object.values(c.classes).reduce((s, x) => s + x.packets, 0) + c.unclassified.packets
      run.classifierPackets = total(cAfter) - total(cBefore)
      run.classifierPps = Math.round(run.classifierPackets / flood.seconds)
      run.benchClassPackets =
        (cAfter.classes[BENCH_CLASS]?.packets ?? 0) - (cBefore.classes[BENCH_CLASS]?.packets ?? 0)
      classification.benchClassPackets = cAfter.classes[BENCH_CLASS]?.packets ?? 0
      classification.probeClassPackets = cAfter.classes[PROBE_CLASS]?.packets ?? 0
      classification.unclassified = cAfter.unclassified.packets
      classification.dpiHits = cAfter.stats.dpiHits
      if (run.benchClassPackets < peerRxPackets * 0.9)
        throw new Error(
          `the flood was not classified into class ${BENCH_CLASS}: ${run.benchClassPackets} of ${peerRxPackets}`,
        )
      if (classification.probeClassPackets < PINGS)
        throw new Error(`pings not classified: ${classification.probeClassPackets}`)
    }
    if (classifier) {
      await classifier.detach()
      classifier = undefined
    }
    const a = acc[mode]
    a.rtt.push(...rtts)
    a.tcp.push(tcp)
    a.floods.push(run)
    a.cpu.push(Math.round(((busy1 - busy0) / Math.max(1, total1 - total0)) * 100))
    others.push(await otherLabNamespaces())
    const s = rttStats(rtts, PINGS)
    console.log(
      `round ${round + 1} ${mode.padEnd(7)} RTT p50 ${s.p50Us} us, TCP ${tcp.mbitPerSecond} Mbit/s, ` +
        `flood ${run.peerPps} pps at peer${run.classifierPps === undefined ? '' : ` (${run.classifierPps} by the classifier)`}`,
    )
  }

  for (let round = 0; round < ROUNDS; round++) {
    const order: Mode[] = round % 2 === 0 ? ['without', 'with'] : ['with', 'without']
    for (const mode of order) await phase(round, mode)
  }

  const figures = (mode: Mode): PhaseFigures => {
    const a = acc[mode]
    return {
      rtt: rttStats(a.rtt, ROUNDS * PINGS),
      tcpRuns: a.tcp,
      tcpMedianMbit: median(a.tcp.map((t) => t.mbitPerSecond)),
      floods: a.floods,
      ppsMedian: median(a.floods.map((x) => x.peerPps)),
      cpuBusyPct: a.cpu,
    }
  }
  const without = figures('without')
  const withC = figures('with')
  const r3 = (x: number) => Math.round(x * 1000) / 1000
  const throughputRatio = r3(withC.tcpMedianMbit / without.tcpMedianMbit)
  const addedLatencyUs = withC.rtt.p50Us - without.rtt.p50Us
  const results: ClassifierResults = {
    throughputRatio,
    addedLatencyUs,
    pps: withC.ppsMedian,
    generatedAt: new Date().toISOString(),
    durationS: Math.round((Date.now() - startedAt) / 1000),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      kernel: release(),
      node: process.version,
      loadavg1mStart: Math.round(load0 * 100) / 100,
      loadavg1mEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      otherLabNamespacesStart: others[0] ?? 0,
      otherLabNamespacesEnd: others.at(-1) ?? 0,
      otherLabNamespacesMax: Math.max(...others),
    },
    setup: {
      topology: `LAN host ${LAN_HOST} -> site (veth ${lab.lanIf.replace(/^pt-[^-]+-/, '')}) -> uplink 0 (veth) -> peer ${SERVICE}`,
      attachPoint: "the site's LAN-facing interface, clsact ingress (direct action)",
      policies: benchSpec().policies.map((p) => `${p.id}: ${JSON.stringify(p.match)}`),
      rounds: ROUNDS,
      pingsPerRound: PINGS,
      pingIntervalS: PING_INTERVAL_S,
      iperfSecondsPerRound: IPERF_SECONDS,
      floodSecondsPerRound: FLOOD_SECONDS,
      floodPayloadBytes: FLOOD_PAYLOAD,
      attachApplyMs,
    },
    without,
    with: withC,
    pairedThroughputRatios: acc.with.tcp.map((t, i) =>
      r3(t.mbitPerSecond / (acc.without.tcp[i]?.mbitPerSecond ?? Number.NaN)),
    ),
    added: {
      rttP50Us: addedLatencyUs,
      rttAvgUs: withC.rtt.avgUs - without.rtt.avgUs,
      rttP99Us: withC.rtt.p99Us - without.rtt.p99Us,
    },
    ppsRatio: r3(withC.ppsMedian / without.ppsMedian),
    classification,
    goal: {
      maxThroughputCostPct: GOAL_COST_PCT,
      maxAddedLatencyUs: GOAL_ADDED_US,
      throughputMet: (1 - throughputRatio) * 100 < GOAL_COST_PCT,
      latencyMet: addedLatencyUs < GOAL_ADDED_US,
    },
  }
  mkdirSync(join('bench', 'results'), { recursive: true })
  writeFileSync(
    join('bench', 'results', 'classifier.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  )
  writeSection(join('docs', 'benchmarks.md'), renderMarkdown(results))
  console.log(
    `\nthroughput ratio ${throughputRatio} (${withC.tcpMedianMbit} vs ${without.tcpMedianMbit} Mbit/s), ` +
      `added p50 RTT ${addedLatencyUs} us, ${results.pps} pps through the classifier ` +
      `(${without.ppsMedian} without); wrote bench/results/classifier.json and docs/benchmarks.md ` +
      `in ${results.durationS} s`,
  )
} finally {
  clearTimeout(watchdog)
  await cleanup()
}
