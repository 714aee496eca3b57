/**
 * Events: what happened to paths and agents, from agents (path.*) and from the control
 * plane itself (agent.online/offline, enrolments, site and policy changes). Written in the
 * transaction of the change they describe; listed newest first. Alerting and webhooks
 * (docs/webhooks.md) read from here.
 *
 * Recording an event also runs the alert rules and fills the webhook outbox, in the same
 * transaction (alerts/on-event.ts): an event is never stored without its deliveries and
 * alerts, nor they without it, so these writes cannot move to after the commit. The
 * dependency therefore points one way, events -> alerts -> outbox, and nothing under it
 * imports this module: the outbox, which must itself record `webhook.disabled`, is handed
 * that writer by its caller (webhooks/drain.ts) instead of importing recordEvent.
 *
 * Why invert that edge rather than inject the alert and outbox writers into recordEvent:
 * its callers (recordAudit, called from some thirty places, presence sweeps, the outbox)
 * hold a transaction, not a composition context, so the writers would have to come from a
 * module-level registry that every entry point (Node, the Workers fetch handler and cron
 * trigger, scripts, tests that skip the app) fills before its first event, or else events
 * would be stored silently without their alerts and deliveries. Nothing needs to run after
 * the commit of an event itself: the dispatcher is woken per request
 * (routes/webhook-kick.ts), else by the Node poll or the Workers cron.
 * worker/import-cycles.test.ts keeps the graph acyclic.
 */
import { and, desc, eq, gte, lt } from 'drizzle-orm'
import { newId } from '../../protocol/ids'
import type { EventType, Severity } from '../../protocol/telemetry'
import type { DbOrTx } from '../db/client'
import { events } from '../db/schema'
import type { AlertingSnapshot } from './alerts/event-plan'
import { onEventStored } from './alerts/on-event'
import type { Actor, ServiceContext } from './context'
import { type EventRow, toEventView } from './event-view'
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

export { toEventView }

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
