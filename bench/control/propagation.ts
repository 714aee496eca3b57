/**
 * Change propagation: agents long-poll their config (If-None-Match + ?wait=30) as real
 * agents do; one site is PATCHed; we time from sending the PATCH until every affected
 * agent holds a config with the new revision and the new prefix in it (the maximum over
 * them is the figure). Unaffected agents long-poll alongside and must not be woken.
 */
import type { AdminClient } from './admin.js'
import { type BenchAgent, sendConfigRequest, signedConfigRequest } from './agent.js'
import { currentEtags } from './load.js'
import { summarize } from './stats.js'

export interface ChangeSpec {
  label: string
  site: BenchAgent
  /** The site's prefixes after the change; `marker` must appear in affected configs. */
  prefixes: string[]
  marker: string
  affected: BenchAgent[]
  unaffected: BenchAgent[]
}

export interface PropagationResult {
  label: string
  changedRole: string
  affectedWatched: number
  unaffectedWatched: number
  patchMs: number
  /** Send of the PATCH to the last affected agent holding the new config. */
  maxMs: number
  p50Ms: number
  maxByRole: Record<string, number>
  allSawChange: boolean
  unaffectedWoken: number
  errors: number
}

const PARK_MS = 2000
const GRACE_MS = 1000
const WAIT_SECONDS = 30

interface Watch {
  agent: BenchAgent
  done?: { at: number; status: number; etag: string | undefined; sawMarker: boolean }
  error?: unknown
  finished: Promise<void>
}

export async function measurePropagation(
  baseUrl: string,
  admin: AdminClient,
  change: ChangeSpec,
): Promise<PropagationResult> {
  const watchers = [...change.affected, ...change.unaffected]
  const etags = await currentEtags(baseUrl, watchers)
  const abort = new AbortController()
  const watch = async (agent: BenchAgent): Promise<Watch> => {
    const etag = etags.get(agent.agentId) as string
    const request = await signedConfigRequest(baseUrl, agent, { etag, waitSeconds: WAIT_SECONDS })
    const entry: Watch = { agent, finished: Promise.resolve() }
    entry.finished = sendConfigRequest(request, abort.signal).then(
      (response) => {
        entry.done = {
          at: performance.now(),
          status: response.status,
          etag: response.etag,
          sawMarker: response.body.includes(change.marker),
        }
      },
      (error: unknown) => {
        if (!abort.signal.aborted) entry.error = error
      },
    )
    return entry
  }
  const affected = await Promise.all(change.affected.map(watch))
  const unaffected = await Promise.all(change.unaffected.map(watch))
  await new Promise((resolve) => setTimeout(resolve, PARK_MS))
  const early = [...affected, ...unaffected].filter((w) => w.done || w.error)
  if (early.length > 0) throw new Error(`${early.length} long-polls returned before the change`)

  const t0 = performance.now()
  await admin.call('PATCH', `/v1/sites/${change.site.siteId}`, { prefixes: change.prefixes })
  const patchMs = performance.now() - t0
  let deadline: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    Promise.all(affected.map((w) => w.finished)),
    new Promise((resolve) => {
      deadline = setTimeout(resolve, (WAIT_SECONDS + 5) * 1000)
    }),
  ])
  // A pending deadline would keep the benchmark process alive after its last scenario.
  clearTimeout(deadline)
  await new Promise((resolve) => setTimeout(resolve, GRACE_MS))
  const unaffectedWoken = unaffected.filter((w) => w.done).length
  abort.abort()
  await Promise.all(unaffected.map((w) => w.finished))

  const times: number[] = []
  const maxByRole: Record<string, number> = {}
  let allSawChange = true
  let errors = 0
  for (const w of affected) {
    const before = etags.get(w.agent.agentId)
    const ok = w.done?.status === 200 && w.done.etag !== before && w.done.sawMarker
    if (w.error) errors++
    if (!ok || !w.done) {
      allSawChange = false
      continue
    }
    const ms = w.done.at - t0
    times.push(ms)
    maxByRole[w.agent.role] = Math.max(maxByRole[w.agent.role] ?? 0, Math.round(ms * 100) / 100)
  }
  const summary = summarize(times)
  return {
    label: change.label,
    changedRole: change.site.role,
    affectedWatched: affected.length,
    unaffectedWatched: unaffected.length,
    patchMs: Math.round(patchMs * 100) / 100,
    maxMs: summary.max,
    p50Ms: summary.p50,
    maxByRole,
    allSawChange,
    unaffectedWoken,
    errors,
  }
}
