/**
 * Every stored event goes through here once: into the webhook outbox (endpoints that
 * subscribe to its type) and through the org's event alert rules (open, group, resolve).
 * Both ways of storing events (recordEvent, agent event batches) call onEventStored in the
 * transaction that inserts the event, so it is handled exactly once, with no later scan.
 */
import { and, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { alertRules, alerts, type events } from '../../db/schema'
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

export async function onEventStored(tx: DbOrTx, row: EventRow, now: number): Promise<void> {
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
