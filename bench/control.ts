/**
 * `npm run bench:control`: the control plane at 1,000 and 10,000 sites, on Node with the
 * embedded database, as a child process driven over loopback by signed agents. Scenarios:
 * a hub-and-spoke org (10 hubs) at 1,000 sites, a 1,000-site full mesh, then the
 * hub-and-spoke org grown to 10,000. Writes bench/results/control.json and the Control
 * plane section of docs/benchmarks.md.
 *
 * Knobs (env): BENCH_SETUP_CONCURRENCY (default 8),
 * BENCH_HS_SMALL / BENCH_HS_LARGE / BENCH_MESH_SITES (1000 / 10000 / 1000),
 * BENCH_LOAD_SECONDS (15).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { AdminClient } from './control/admin.js'
import type { BenchAgent } from './control/agent.js'
import { hubChange, meshChange, spokeChange } from './control/changes.js'
import type { AddressPlan, SitePlan } from './control/enroll.js'
import { type ControlResults, renderMarkdown, writeSection } from './control/report.js'
import { measureScenario, type ScenarioSettings } from './control/scenario.js'
import { startChildServer } from './control/server.js'
import { setupSites } from './control/setup.js'
import { probeConcurrentWrites } from './control/write-probe.js'

const root = new URL('../', import.meta.url)
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)

const HUBS = 10
const hsAddresses: AddressPlan = {
  prefix: (i) => `10.${i >> 8}.${i & 255}.0/24`,
  // RFC 2544 benchmarking range: never routed, and never contacted here.
  endpoint: (i, slot) => `198.18.${(i >> 8) + 64 * slot}.${i & 255}:51820`,
}
const meshAddresses: AddressPlan = {
  prefix: (i) => `172.${16 + (i >> 8)}.${i & 255}.0/24`,
  endpoint: (i) => `198.19.${i >> 8}.${i & 255}:51820`,
}

function hubAndSpokePlans(from: number, to: number): SitePlan[] {
  return Array.from({ length: to - from }, (_, k) => {
    const index = from + k
    return { index, role: index < HUBS ? 'hub' : 'spoke' }
  })
}

async function main(): Promise<void> {
  const setupConcurrency = env('BENCH_SETUP_CONCURRENCY', 8)
  const small = env('BENCH_HS_SMALL', 1000)
  const large = env('BENCH_HS_LARGE', 10_000)
  const meshSites = env('BENCH_MESH_SITES', 1000)
  const loadSeconds = env('BENCH_LOAD_SECONDS', 15)
  const settings: ScenarioSettings = {
    concurrency: 64,
    singleMs: 3000,
    mixedMs: loadSeconds * 1000,
    hubsMs: 5000,
    conditionalMs: 5000,
  }
  const machine = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    node: process.versions.node,
    date: new Date().toISOString().slice(0, 10),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    loadAverageAtEnd: [] as number[],
  }
  console.log(`machine: ${JSON.stringify(machine)}`)
  const started = performance.now()
  const server = await startChildServer(fileURLToPath(root))
  console.log(
    `control plane pid ${server.pid} at ${server.url}; RSS ${server.memory().rssMiB.toFixed(0)} MiB`,
  )
  let results: ControlResults
  try {
    const instance = new AdminClient(server.url, server.adminToken)
    const memoryAtStart = server.memory()
    const probeOrg = await instance.createOrg('bench-write-probe', 'mesh')
    const writeProbe = await probeConcurrentWrites(probeOrg, 8)
    console.log(`write probe (8 concurrent enrollment-token mints): ${JSON.stringify(writeProbe)}`)

    const hs = await instance.createOrg('bench-hub-and-spoke', 'hub-and-spoke')
    const mesh = await instance.createOrg('bench-mesh', 'mesh')
    const scenarios: ControlResults['scenarios'] = []

    console.log(`hub-and-spoke, ${small} sites`)
    const first = await setupSites(
      server,
      hs,
      hubAndSpokePlans(0, small),
      hsAddresses,
      setupConcurrency,
    )
    let hsAgents: BenchAgent[] = first.agents
    let meshAgents: BenchAgent[] = []
    const hsChanges = () => [
      () => spokeChange(hsAgents, hsAddresses, 100),
      () => hubChange(hsAgents, hsAddresses, 150, meshAgents),
    ]
    scenarios.push({
      name: `hub-and-spoke ${small}`,
      topology: 'hub-and-spoke',
      sites: small,
      hubs: HUBS,
      setup: first.result,
      ...(await measureScenario(server, hs, hsAgents, hsChanges(), settings)),
    })

    console.log(`full mesh, ${meshSites} sites`)
    const meshSetup = await setupSites(
      server,
      mesh,
      Array.from({ length: meshSites }, (_, index) => ({ index, role: 'mesh' as const })),
      meshAddresses,
      setupConcurrency,
    )
    meshAgents = meshSetup.agents
    scenarios.push({
      name: `full mesh ${meshSites}`,
      topology: 'mesh',
      sites: meshSites,
      hubs: 0,
      setup: meshSetup.result,
      ...(await measureScenario(
        server,
        mesh,
        meshAgents,
        [
          () =>
            meshChange(
              meshAgents,
              meshAddresses,
              200,
              hsAgents.filter((a) => a.role === 'spoke'),
            ),
        ],
        settings,
      )),
    })

    console.log(`hub-and-spoke, grown to ${large} sites`)
    const grown = await setupSites(
      server,
      hs,
      hubAndSpokePlans(small, large),
      hsAddresses,
      setupConcurrency,
    )
    hsAgents = [...hsAgents, ...grown.agents]
    scenarios.push({
      name: `hub-and-spoke ${large}`,
      topology: 'hub-and-spoke',
      sites: large,
      hubs: HUBS,
      setup: grown.result,
      ...(await measureScenario(server, hs, hsAgents, hsChanges(), settings)),
    })

    machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100)
    results = {
      machine,
      settings: {
        ...settings,
        setupConcurrency,
        database: 'embedded libSQL file (WAL)',
        runtime: 'Node',
      },
      totalSeconds: Math.round((performance.now() - started) / 1000),
      memoryAtStart,
      finalMemory: server.memory(),
      writeProbe,
      scenarios,
    }
  } catch (error) {
    console.error(`control plane output (tail):\n${server.logs()}`)
    throw error
  } finally {
    await server.stop()
  }
  mkdirSync(new URL('bench/results/', root), { recursive: true })
  writeFileSync(
    new URL('bench/results/control.json', root),
    `${JSON.stringify(results, null, 2)}\n`,
  )
  writeSection(new URL('docs/benchmarks.md', root).pathname, renderMarkdown(results))
  console.log(
    `done in ${results.totalSeconds} s: wrote bench/results/control.json and docs/benchmarks.md (## Control plane)`,
  )
}

await main()
