/**
 * Enrolls a batch of sites into an org and reports how long it took, per step. The
 * memory of the server is read right after, so growth per site can be seen.
 */
import type { AdminClient } from './admin.js'
import type { BenchAgent } from './agent.js'
import { type AddressPlan, type EnrollStepTimes, enrollSites, type SitePlan } from './enroll.js'
import type { ServerMemory } from './server.js'
import { type LatencySummary, summarize } from './stats.js'

export interface SetupResult {
  sitesAdded: number
  concurrency: number
  seconds: number
  sitesPerSecond: number
  steps: Record<keyof EnrollStepTimes, LatencySummary>
  memoryAfter: ServerMemory
}

export async function setupSites(
  server: { url: string; memory(): ServerMemory },
  admin: AdminClient & { orgId: string },
  plans: readonly SitePlan[],
  addresses: AddressPlan,
  concurrency: number,
): Promise<{ agents: BenchAgent[]; result: SetupResult }> {
  const steps: EnrollStepTimes = { site: [], uplinks: [], token: [], enroll: [] }
  const start = performance.now()
  const agents = await enrollSites(
    admin,
    admin.orgId,
    server.url,
    plans,
    addresses,
    concurrency,
    steps,
  )
  const seconds = (performance.now() - start) / 1000
  const result: SetupResult = {
    sitesAdded: plans.length,
    concurrency,
    seconds: Math.round(seconds * 10) / 10,
    sitesPerSecond: Math.round((plans.length / seconds) * 10) / 10,
    steps: {
      site: summarize(steps.site),
      uplinks: summarize(steps.uplinks),
      token: summarize(steps.token),
      enroll: summarize(steps.enroll),
    },
    memoryAfter: server.memory(),
  }
  console.log(
    `  setup: ${plans.length} sites in ${result.seconds} s (${result.sitesPerSecond}/s); enroll p50 ${result.steps.enroll.p50} ms p99 ${result.steps.enroll.p99} ms; RSS ${result.memoryAfter.rssMiB.toFixed(0)} MiB`,
  )
  return { agents, result }
}
