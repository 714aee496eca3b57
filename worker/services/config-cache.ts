/**
 * The serialised desired state of each agent at its current revision. A revision changes
 * whenever anything in the document does (services/revisions.ts), so (agent, revision)
 * identifies it exactly and a cached copy is never stale: repeated fetches of an unchanged
 * config (restarts, retries, a fleet re-syncing after an outage) cost one indexed read
 * instead of a rebuild. A hub's document grows with its peers (megabytes at 10,000
 * sites), so the cache is bounded in bytes and evicts the least recently used.
 */
import type { ModelRef } from '../../protocol/agent'
import { PROTOCOL_VERSION } from '../../protocol/version'
import type { Db } from '../db/client'
import type { AgentRow } from './agent-auth'
import { buildDesiredState, currentRevision } from './desired-state'
import { desiredStateFor } from './protocol-compat'

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024

interface Entry {
  revision: number
  json: string
}

export class DesiredStateCache {
  /** Map iteration order is insertion order: re-inserting on use makes it an LRU. */
  private readonly entries = new Map<string, Entry>()
  private bytes = 0

  constructor(private readonly maxBytes = DEFAULT_CACHE_BYTES) {}

  get(agentId: string, revision: number): string | undefined {
    const entry = this.entries.get(agentId)
    if (!entry || entry.revision !== revision) return undefined
    this.entries.delete(agentId)
    this.entries.set(agentId, entry)
    return entry.json
  }

  set(agentId: string, revision: number, json: string): void {
    this.drop(agentId)
    // A document larger than the whole cache is served but not kept.
    if (json.length > this.maxBytes) return
    this.entries.set(agentId, { revision, json })
    this.bytes += json.length
    for (const [id] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.drop(id)
    }
  }

  get size(): number {
    return this.entries.size
  }

  private drop(agentId: string): void {
    const entry = this.entries.get(agentId)
    if (!entry) return
    this.entries.delete(agentId)
    this.bytes -= entry.json.length
  }
}

/**
 * The agent's current document as JSON, in the protocol version it speaks, from the cache
 * when its revision is unchanged.
 */
export async function desiredStateJson(
  db: Db,
  agent: AgentRow,
  now: number,
  cache: DesiredStateCache,
  /** Fixed for the life of the process (an env setting), so the cache key need not carry it. */
  model: ModelRef | null = null,
  protocolVersion = PROTOCOL_VERSION,
): Promise<{ revision: number; json: string }> {
  // An agent upgraded in place keeps its id: the version is part of the key.
  const key = protocolVersion === PROTOCOL_VERSION ? agent.id : `${agent.id}/v${protocolVersion}`
  const revision = await currentRevision(db, agent.siteId)
  const cached = revision === undefined ? undefined : cache.get(key, revision)
  if (cached !== undefined && revision !== undefined) return { revision, json: cached }
  const state = await buildDesiredState(db, agent, now, model)
  const json = JSON.stringify(desiredStateFor(state, protocolVersion))
  cache.set(key, state.revision, json)
  return { revision: state.revision, json }
}
