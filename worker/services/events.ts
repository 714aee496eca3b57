/**
 * Events: what happened to paths and agents, from agents (path.*) and from the control
 * plane itself (agent.online/offline, enrolments, site and policy changes). Written in the
 * transaction of the change they describe; listed newest first. Alerting and webhooks
 * (issue 7) read from here.
 */
import { and, desc, eq, gte, lt } from 'drizzle-orm'
import { newId } from '../../protocol/ids'
import type { EventType, Severity } from '../../protocol/telemetry'
import { isoTime } from '../api/common'
import type { DbOrTx } from '../db/client'
import { events } from '../db/schema'
import type { AlertingSnapshot } from './alerts/event-plan'
import { onEventStored } from './alerts/on-event'
import type { Actor, ServiceContext } from './context'
import { decodeCursor, type PageRequest, toPage } from './pagination'

export const DEFAULT_SEVERITY: Record<EventType, Severity> = {
  'path.down': 'warning',
  'path.up': 'info',
  'path.sla_violation': 'warning',
  'path.failover': 'warning',
  'path.failback': 'info',
  'path.predicted_degradation': 'warning',
  'scorer.fallback': 'warning',
  'agent.online': 'info',
  'agent.offline': 'critical',
  'agent.enrolled': 'info',
  'agent.revoked': 'warning',
  'site.created': 'info',
  'site.deleted': 'warning',
  'policy.changed': 'info',
  'webhook.disabled': 'warning',
}

export interface NewEvent {
  orgId: string
  siteId: string | null
  type: EventType
  severity?: Severity | undefined
  at: number
  source: 'agent' | 'control-plane' | 'operator'
  details?: Record<string, unknown> | undefined
}

type EventRow = typeof events.$inferSelect

export const toEventView = (row: EventRow) => ({
  id: row.id,
  siteId: row.siteId,
  type: row.type,
  severity: row.severity,
  at: isoTime(row.at)!,
  source: row.source,
  details: row.details,
})

/** Rows for one insert; ids are time-ordered by the time of recording, not `at`. */
export function eventRow(event: NewEvent, recordedAt: number): EventRow {
  return {
    id: newId('event', recordedAt),
    orgId: event.orgId,
    siteId: event.siteId,
    type: event.type,
    severity: event.severity ?? DEFAULT_SEVERITY[event.type],
    at: event.at,
    source: event.source,
    details: event.details ?? {},
  }
}

/**
 * Inserts the event and, in the same transaction, hands it to the alert evaluator and the
 * webhook outbox (services/alerts/on-event.ts); returns its id. `alerting`, when the caller
 * loaded it before opening the transaction, keeps rule matching out of it.
 */
export async function recordEvent(
  tx: DbOrTx,
  event: NewEvent,
  recordedAt: number,
  alerting?: AlertingSnapshot,
) {
  const row = eventRow(event, recordedAt)
  await tx.insert(events).values(row)
  await onEventStored(tx, row, recordedAt, alerting)
  return row.id
}

export interface EventQuery extends PageRequest {
  type?: string | undefined
  siteId?: string | undefined
  /** Only events that happened at or after this time (epoch ms). */
  since?: number | undefined
}

export async function listEvents(ctx: ServiceContext, actor: Actor, query: EventQuery) {
  const before = decodeCursor(query.cursor)
  const rows = await ctx.db
    .select()
    .from(events)
    .where(
      and(
        eq(events.orgId, actor.orgId),
        query.type ? eq(events.type, query.type) : undefined,
        query.siteId ? eq(events.siteId, query.siteId) : undefined,
        query.since !== undefined ? gte(events.at, query.since) : undefined,
        before ? lt(events.id, before) : undefined,
      ),
    )
    .orderBy(desc(events.id))
    .limit(query.limit + 1)
  return toPage(rows, query.limit, toEventView)
}
