/**
 * Path events reported by agents (`POST /v1/agent/events`). What the control plane keys
 * incidents on is derived here from validated fields only: the site from the agent's
 * identity, the path from the event's `path` (its peer checked to be in the org), the class
 * from `class`. The agent's free-form `details` are stored beside them and can never
 * override them (the protocol schema also refuses those keys in details).
 */
import {
  type AgentEvent,
  DERIVED_DETAIL_KEYS,
  MAX_EVENTS_PER_BATCH,
} from '../../protocol/telemetry'
import { events } from '../db/schema'
import type { AgentRow } from './agent-auth'
import { placeAgentTime, type TimeAdjustments } from './agent-time'
import { loadAlerting } from './alerts/event-plan'
import { onEventStored } from './alerts/on-event'
import type { ServiceContext } from './context'
import { eventRow } from './events'
import { assertEventQuota, DEFAULT_QUOTAS } from './quotas'
import { assertPeersInOrg } from './telemetry'

const DERIVED = new Set<string>(DERIVED_DETAIL_KEYS)

/** The agent's details without any key the control plane derives (defence in depth). */
function freeFormDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {}
  return Object.fromEntries(Object.entries(details).filter(([key]) => !DERIVED.has(key)))
}

export async function ingestAgentEvents(ctx: ServiceContext, agent: AgentRow, list: AgentEvent[]) {
  const peers = new Set(list.flatMap((e) => (e.path ? [e.path.peerSiteId] : [])))
  await assertPeersInOrg(ctx, agent, peers)
  const now = ctx.clock.now()
  const adjustments: TimeAdjustments = { clamped: 0, dropped: 0 }
  const rows = list.map((e) => {
    // Events are clamped into the window, never dropped: alerts hang on them.
    const placed = placeAgentTime(e.at, now)
    if (placed.outcome !== 'kept') adjustments.clamped++
    return eventRow(
      {
        orgId: agent.orgId,
        siteId: agent.siteId,
        type: e.type,
        severity: e.severity,
        at: placed.at,
        source: 'agent',
        details: {
          ...freeFormDetails(e.details),
          ...(e.path ? { path: e.path } : {}),
          ...(e.class ? { class: e.class } : {}),
          agentId: agent.id,
          ...(placed.outcome !== 'kept' ? { reportedAt: e.at } : {}),
        },
      },
      now,
    )
  })
  // Rules, sites and silences are read and matched before the transaction, which then
  // only writes: the events, their outbox messages, and the alerts they open or close.
  const alerting = await loadAlerting(ctx.db, agent.orgId, [agent.siteId], now)
  // At most MAX_EVENTS_PER_BATCH per transaction, so that the larger batches of protocol v1
  // agents hold the writer no longer than a v2 batch. The first transaction checks the
  // quota for the whole batch: a refused batch stores nothing. Should a later one fail, the
  // agent re-sends the batch and the earlier part is stored twice, as when an answer is
  // lost after the commit: events are delivered at least once either way.
  for (let start = 0; start < rows.length; start += MAX_EVENTS_PER_BATCH) {
    await ctx.db.transaction(async (tx) => {
      if (start === 0) {
        await assertEventQuota(tx, agent.orgId, rows.length, now, ctx.quotas ?? DEFAULT_QUOTAS)
      }
      for (const row of rows.slice(start, start + MAX_EVENTS_PER_BATCH)) {
        await tx.insert(events).values(row)
        await onEventStored(tx, row, now, alerting)
      }
    })
  }
  return { ids: rows.map((r) => r.id), ...adjustments }
}
