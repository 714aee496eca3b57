/**
 * One measured scenario over an enrolled org: config-fetch latency (a random mix of the
 * org's agents, then hubs alone, then the conditional 304 path), change propagation for
 * the given changes, and the server's memory afterwards.
 */
import type { AdminClient } from './admin.js'
import type { BenchAgent } from './agent.js'
import { currentEtags, type LoadResult, runConfigLoad } from './load.js'
import { type ChangeSpec, measurePropagation, type PropagationResult } from './propagation.js'
import type { ServerMemory } from './server.js'

export interface ScenarioSettings {
  concurrency: number
  /** One agent at a time: service time without queueing. */
  singleMs: number
  mixedMs: number
  hubsMs: number
  conditionalMs: number
}

export interface ScenarioMeasurements {
  load: { single: LoadResult; mixed: LoadResult; hubsOnly?: LoadResult; conditional: LoadResult }
  propagation: PropagationResult[]
  memoryAfter: ServerMemory
}

export async function measureScenario(
  server: { url: string; memory(): ServerMemory },
  admin: AdminClient,
  agents: readonly BenchAgent[],
  changes: (() => ChangeSpec)[],
  settings: ScenarioSettings,
): Promise<ScenarioMeasurements> {
  const baseUrl = server.url
  const single = await runConfigLoad({
    baseUrl,
    pool: agents,
    concurrency: 1,
    durationMs: settings.singleMs,
  })
  log('single agent', single)
  const mixed = await runConfigLoad({
    baseUrl,
    pool: agents,
    concurrency: settings.concurrency,
    durationMs: settings.mixedMs,
  })
  log('mixed', mixed)
  const hubs = agents.filter((a) => a.role === 'hub')
  let hubsOnly: LoadResult | undefined
  if (hubs.length > 0) {
    // As many concurrent fetchers as there are hubs: each hub is one agent.
    hubsOnly = await runConfigLoad({
      baseUrl,
      pool: hubs,
      concurrency: hubs.length,
      durationMs: settings.hubsMs,
    })
    log('hubs only', hubsOnly)
  }
  const sample = pickRandom(agents, 2000)
  const conditional = await runConfigLoad({
    baseUrl,
    pool: sample,
    concurrency: settings.concurrency,
    durationMs: settings.conditionalMs,
    conditional: await currentEtags(baseUrl, sample),
  })
  log('conditional (304)', conditional)
  const propagation: PropagationResult[] = []
  for (const change of changes) {
    const result = await measurePropagation(baseUrl, admin, change())
    console.log(`  propagation ${result.label}: ${JSON.stringify(result)}`)
    propagation.push(result)
  }
  return {
    load: { single, mixed, ...(hubsOnly ? { hubsOnly } : {}), conditional },
    propagation,
    memoryAfter: server.memory(),
  }
}

function log(label: string, result: LoadResult) {
  const roles = Object.entries(result.byRole)
    .map(([role, s]) => `${role} n=${s.count} p50=${s.p50} p99=${s.p99} max=${s.max} ms`)
    .join('; ')
  console.log(`  ${label}: ${result.requestsPerSecond} req/s, ${result.errors} errors; ${roles}`)
}

/** `count` distinct elements in random order (all of them if there are fewer). */
export function pickRandom<T>(items: readonly T[], count: number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy.slice(0, count)
}
