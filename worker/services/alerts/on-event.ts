/**
 * Every stored event goes through here once: into the webhook outbox (endpoints that
 * subscribe to its type) and through the org's event alert rules (open, group, resolve).
 * recordEvent calls onEventStored inside its own transaction; events inserted another way
 * (agent event batches) are found by catchUpEvents, which the dispatcher runs, and the
 * event_dispatch primary key makes sure each event is handled exactly once.
 */
import { and, asc, eq, gt, isNull, lt, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client'
import { alertRules, alerts, eventDispatch, events } from '../../db/schema'
import type { ServiceContext } from '../context'
import { toEventView } from '../events'
import { alertingId } from '../webhooks/ids'
import { enqueueMessage } from '../webhooks/outbox'
import { severityIcon, slackEscape } from '../webhooks/payload'
import { announceFiring, resolveAlert, siteInfo } from './notify'
import {
  DEFAULT_QUIET_SECONDS,
  describeEvent,
  incidentKey,
  OPENED_BY,
  RESOLVED_BY,
} from './pairing'
import { siteFilterMatches } from './selector'

type EventRow = typeof events.$inferSelect
type RuleRow = typeof alertRules.$inferSelect

const RANK = { info: 0, warning: 1, critical: 2 } as const

/** Events older than this are not caught up (they were handled, or are too late to tell). */
const CATCH_UP_HORIZON_MS = 15 * 60_000

export async function onEventStored(tx: DbOrTx, row: EventRow, now: number): Promise<void> {
  await tx.insert(eventDispatch).values({ eventId: row.id, at: now })
  await handleEvent(tx, row, now)
}

async function handleEvent(tx: DbOrTx, row: EventRow, now: number): Promise<void> {
  const rules = await tx
    .select()
    .from(alertRules)
    .where(
      and(
        eq(alertRules.orgId, row.orgId),
        eq(alertRules.enabled, true),
        eq(alertRules.kind, 'event'),
      ),
    )
  const site = await siteInfo(tx, row.siteId)
  const where = site ? ` at site *${slackEscape(site.name)}*` : ''
  await enqueueMessage(
    tx,
    row.orgId,
    {
      type: row.type,
      at: now,
      data: { ...toEventView(row), siteName: site?.name ?? null },
      text: `${severityIcon(row.severity)} ${slackEscape(describeEvent(row.type, row.details))}${where} (${row.severity})`,
    },
    now,
    { eventId: row.id },
  )
  for (const rule of rules) {
    if (!siteFilterMatches(rule, row.siteId, site?.labels ?? null)) continue
    const opener = OPENED_BY[row.type]
    if (opener && rule.eventTypes.includes(opener)) {
      await closeIncident(tx, rule, row, now)
    }
    if (rule.eventTypes.includes(row.type) && RANK[row.severity] >= RANK[rule.minSeverity]) {
      await openOrGroup(tx, rule, row, now)
    }
  }
}

async function closeIncident(tx: DbOrTx, rule: RuleRow, row: EventRow, now: number) {
  const key = incidentKey(row.type, row.siteId, row.details)
  const [open] = await tx
    .select({ id: alerts.id })
    .from(alerts)
    .where(
      and(eq(alerts.ruleId, rule.id), eq(alerts.incidentKey, key), eq(alerts.status, 'firing')),
    )
  if (open) await resolveAlert(tx, open.id, rule.name, now, { eventId: row.id, type: row.type })
}

async function openOrGroup(tx: DbOrTx, rule: RuleRow, row: EventRow, now: number) {
  const key = incidentKey(row.type, row.siteId, row.details)
  const quiet = rule.resolveAfterSeconds ?? (RESOLVED_BY[row.type] ? null : DEFAULT_QUIET_SECONDS)
  const autoResolveAt = quiet === null ? null : now + quiet * 1000
  // Grouping: a firing alert for the same incident absorbs the event, no new notification.
  const grouped = await tx
    .update(alerts)
    .set({
      eventCount: sql`${alerts.eventCount} + 1`,
      lastEventAt: now,
      autoResolveAt,
      severity: RANK[row.severity] > RANK[rule.severity] ? row.severity : rule.severity,
    })
    .where(
      and(eq(alerts.ruleId, rule.id), eq(alerts.incidentKey, key), eq(alerts.status, 'firing')),
    )
    .returning({ id: alerts.id })
  if (grouped.length > 0) return
  const [created] = await tx
    .insert(alerts)
    .values({
      id: alertingId('alr', now),
      orgId: row.orgId,
      ruleId: rule.id,
      incidentKey: key,
      siteId: row.siteId,
      status: 'firing',
      severity: RANK[row.severity] > RANK[rule.severity] ? row.severity : rule.severity,
      summary: describeEvent(row.type, row.details),
      details: { eventId: row.id, type: row.type, ...row.details },
      eventCount: 1,
      startedAt: now,
      lastEventAt: now,
      autoResolveAt,
    })
    .onConflictDoNothing()
    .returning()
  if (created) await announceFiring(tx, created, rule.name, now)
}

/** Handles events stored without recordEvent (agent batches); returns how many. */
export async function catchUpEvents(ctx: Pick<ServiceContext, 'db' | 'clock'>): Promise<number> {
  const now = ctx.clock.now()
  const horizon = `evt_${Math.floor(now - CATCH_UP_HORIZON_MS)
    .toString(16)
    .padStart(12, '0')}`
  const pending = await ctx.db
    .select({ event: events })
    .from(events)
    .leftJoin(eventDispatch, eq(eventDispatch.eventId, events.id))
    .where(and(gt(events.id, horizon), isNull(eventDispatch.eventId)))
    .orderBy(asc(events.id))
    .limit(200)
  let handled = 0
  for (const { event } of pending) {
    const mine = await claimAndHandle(ctx.db, event, now)
    if (mine) handled++
  }
  return handled
}

async function claimAndHandle(db: Db, event: EventRow, now: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const claimed = await tx
      .insert(eventDispatch)
      .values({ eventId: event.id, at: now })
      .onConflictDoNothing()
      .returning({ id: eventDispatch.eventId })
    if (claimed.length === 0) return false
    await handleEvent(tx, event, now)
    return true
  })
}

/** Forgets dispatch marks past the catch-up horizon. */
export async function purgeDispatchMarks(db: Db, now: number): Promise<void> {
  const old = lt(eventDispatch.at, now - 2 * CATCH_UP_HORIZON_MS)
  const [any] = await db
    .select({ id: eventDispatch.eventId })
    .from(eventDispatch)
    .where(old)
    .limit(1)
  if (any) await db.delete(eventDispatch).where(old)
}
