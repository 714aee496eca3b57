/**
 * Config-fetch load: `concurrency` agents in closed loop for a fixed duration, each request
 * a signed GET /v1/agent/config from an agent picked at random from `pool`. Latency is
 * from send to the last body byte, per role, so hubs (whose config lists every site) and
 * spokes are reported apart. `conditional` sends the agent's ETag (the steady state: 304).
 */
import { type BenchAgent, sendConfigRequest, signedConfigRequest } from './agent.js'
import { type LatencySummary, summarize } from './stats.js'

export interface LoadOptions {
  baseUrl: string
  pool: readonly BenchAgent[]
  concurrency: number
  durationMs: number
  conditional?: ReadonlyMap<string, string>
}

export interface LoadResult {
  concurrency: number
  durationMs: number
  requests: number
  errors: number
  requestsPerSecond: number
  byRole: Record<string, LatencySummary & { meanBytes: number }>
  all: LatencySummary
}

export async function runConfigLoad(options: LoadOptions): Promise<LoadResult> {
  const samples = new Map<string, { ms: number[]; bytes: number }>()
  let errors = 0
  let firstError: unknown
  const start = performance.now()
  const end = start + options.durationMs
  const loop = async () => {
    while (performance.now() < end) {
      const agent = options.pool[Math.floor(Math.random() * options.pool.length)] as BenchAgent
      const etag = options.conditional?.get(agent.agentId)
      const request = await signedConfigRequest(options.baseUrl, agent, etag ? { etag } : {})
      const sent = performance.now()
      try {
        const response = await sendConfigRequest(request)
        const ms = performance.now() - sent
        const entry = samples.get(agent.role) ?? { ms: [], bytes: 0 }
        entry.ms.push(ms)
        entry.bytes += response.bytes
        samples.set(agent.role, entry)
      } catch (error) {
        errors++
        firstError ??= error
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, loop))
  const elapsed = performance.now() - start
  if (errors > 0) console.warn(`config load: ${errors} errors, first:`, firstError)
  const byRole: LoadResult['byRole'] = {}
  const all: number[] = []
  for (const [role, { ms, bytes }] of samples) {
    byRole[role] = { ...summarize(ms), meanBytes: Math.round(bytes / ms.length) }
    all.push(...ms)
  }
  return {
    concurrency: options.concurrency,
    durationMs: Math.round(elapsed),
    requests: all.length,
    errors,
    requestsPerSecond: Math.round((all.length / elapsed) * 1000),
    byRole,
    all: summarize(all),
  }
}

/** Each agent's current ETag (one plain fetch each), for conditional load and long-polls. */
export async function currentEtags(
  baseUrl: string,
  agents: readonly BenchAgent[],
): Promise<Map<string, string>> {
  const etags = new Map<string, string>()
  for (const agent of agents) {
    const response = await sendConfigRequest(await signedConfigRequest(baseUrl, agent))
    if (!response.etag) throw new Error(`no ETag for agent ${agent.agentId}`)
    etags.set(agent.agentId, response.etag)
  }
  return etags
}
