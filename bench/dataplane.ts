/**
 * `sudo npm run bench:dataplane`: LAN-to-LAN ping RTT and iperf3 TCP throughput through
 * the WireGuard mesh vs the bare underlay, in the same WAN lab run (the real control plane,
 * the real agents). Writes bench/results/dataplane.json and the "Data plane" section of
 * docs/benchmarks.md. Goal (the seed's data-plane overhead target): added RTT < 1 ms.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release } from 'node:os'
import { join } from 'node:path'
import { pollUntil } from '../test/lab/exec'
import { MeshLab } from '../test/lab/mesh-lab'
import { iperf3, pingSamples, rttStats, type ThroughputStats } from './lab/measure'
import {
  type DataplaneResults,
  type PathResult,
  renderMarkdown,
  writeBenchmarksSection,
} from './lab/report'
import { addUnderlayPath, routeDevice, underlayHost } from './lab/underlay'

const ROUNDS = 3
const PINGS = 300
const PING_INTERVAL_S = '0.01'
const IPERF_SECONDS = 5
const GOAL_ADDED_RTT_MS = 1

if (process.getuid?.() !== 0) {
  console.error('bench:dataplane needs root (network namespaces): sudo npm run bench:dataplane')
  process.exit(1)
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

const load = loadavg()[0] ?? 0
console.log('bench:dataplane: building the lab (2 sites x 2 uplinks, control plane, agents)...')
const mesh = await MeshLab.start({ sites: 2, uplinks: 2, longPollSeconds: 55 })
try {
  const { lab } = mesh
  const a = lab.site(0)
  const b = lab.site(1)
  await addUnderlayPath(lab, a, b)
  const tunnelRoute = await routeDevice(lab, a.ns, b.lanHost)
  const underlayRoute = await routeDevice(lab, a.ns, underlayHost(1))
  if (!tunnelRoute.startsWith(a.wgPrefix)) throw new Error(`tunnel path leaves by ${tunnelRoute}`)
  if (underlayRoute !== lab.uplink(0, 0).ifname) {
    throw new Error(`underlay path leaves by ${underlayRoute}`)
  }
  lab.spawnIn(b.hostNs, 'iperf3 server', 'iperf3', ['-s'])
  await pollUntil(
    'iperf3 server',
    async () => {
      const ss = await lab.exec(b.hostNs, 'ss', ['-ltn'])
      return ss.stdout.includes(':5201') ? true : undefined
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  )
  const paths = {
    tunnel: { target: b.lanHost, source: undefined as string | undefined },
    underlay: { target: underlayHost(1), source: underlayHost(0) },
  }
  // Warm-up: ARP, handshakes, TCP slow start paths; not recorded.
  for (const p of Object.values(paths)) {
    await pingSamples(lab, a.hostNs, p.target, { count: 20, intervalS: '0.01', ...p })
    await iperf3(lab, a.hostNs, p.target, { seconds: 1, ...p })
  }
  const samples = { tunnel: [] as number[], underlay: [] as number[] }
  const runs = { tunnel: [] as ThroughputStats[], underlay: [] as ThroughputStats[] }
  for (let round = 0; round < ROUNDS; round++) {
    const order =
      round % 2 === 0 ? (['tunnel', 'underlay'] as const) : (['underlay', 'tunnel'] as const)
    for (const name of order) {
      const p = paths[name]
      const rtts = await pingSamples(lab, a.hostNs, p.target, {
        count: PINGS,
        intervalS: PING_INTERVAL_S,
        ...p,
      })
      samples[name].push(...rtts)
      const t = await iperf3(lab, a.hostNs, p.target, { seconds: IPERF_SECONDS, ...p })
      runs[name].push(t)
      console.log(
        `round ${round + 1} ${name.padEnd(8)} RTT p50 ${rttStats(rtts, PINGS).p50Ms} ms, TCP ${t.mbitPerSecond} Mbit/s`,
      )
    }
  }
  const result = (name: 'tunnel' | 'underlay'): PathResult => ({
    rtt: rttStats(samples[name], ROUNDS * PINGS),
    throughputRuns: runs[name],
    throughputMedianMbit: median(runs[name].map((r) => r.mbitPerSecond)),
  })
  const tunnel = result('tunnel')
  const underlay = result('underlay')
  const picked = mesh
    .member(0)
    .agent.entries()
    .find((e) => /^WireGuard backend: /.test(e.msg))
  const r3 = (x: number) => Math.round(x * 1000) / 1000
  const results: DataplaneResults = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      kernel: release(),
      node: process.version,
      loadavg1mStart: Math.round(load * 100) / 100,
    },
    setup: {
      sites: 2,
      uplinks: 2,
      wireguardBackend: String(picked?.backend ?? 'unknown'),
      backendReason: String(picked?.reason ?? 'unknown'),
      mtuTunnel: 1420,
      rounds: ROUNDS,
      pingsPerRound: PINGS,
      pingIntervalS: PING_INTERVAL_S,
      iperfSecondsPerRound: IPERF_SECONDS,
      tunnelRoute,
      underlayRoute,
    },
    meshHandshakeMs: mesh.meshedAfterMs,
    underlay,
    tunnel,
    added: {
      rttP50Ms: r3(tunnel.rtt.p50Ms - underlay.rtt.p50Ms),
      rttAvgMs: r3(tunnel.rtt.avgMs - underlay.rtt.avgMs),
      rttP99Ms: r3(tunnel.rtt.p99Ms - underlay.rtt.p99Ms),
    },
    throughputRatio: r3(tunnel.throughputMedianMbit / underlay.throughputMedianMbit),
    goal: {
      addedRttMs: GOAL_ADDED_RTT_MS,
      metOnP50: tunnel.rtt.p50Ms - underlay.rtt.p50Ms < GOAL_ADDED_RTT_MS,
      metOnAvg: tunnel.rtt.avgMs - underlay.rtt.avgMs < GOAL_ADDED_RTT_MS,
    },
  }
  mkdirSync(join('bench', 'results'), { recursive: true })
  writeFileSync(join('bench', 'results', 'dataplane.json'), `${JSON.stringify(results, null, 2)}\n`)
  writeBenchmarksSection(join('docs', 'benchmarks.md'), renderMarkdown(results))
  console.log(
    `\nadded RTT p50 ${results.added.rttP50Ms} ms (avg ${results.added.rttAvgMs} ms), ` +
      `throughput ${tunnel.throughputMedianMbit} vs ${underlay.throughputMedianMbit} Mbit/s ` +
      `(ratio ${results.throughputRatio}); wrote bench/results/dataplane.json and docs/benchmarks.md`,
  )
} finally {
  await mesh.close()
}
