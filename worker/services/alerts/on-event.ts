/**
 * Every stored event goes through here once: into the webhook outbox (endpoints that
 * subscribe to its type) and through the org's event alert rules (open, group, resolve).
 * Both ways of storing events (recordEvent, agent event batches) call onEventStored in the
 * transaction that inserts the event, so it is handled exactly once, with no later scan.
 *
 * Deciding which rules match (event-plan.ts: loading rules, sites, silences and matching
 * label selectors) is read-only work; callers that can do it before their transaction pass
 * the snapshot in, and only the writes below run while the transaction holds the writer.
 */
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { alertRules, alerts } from '../../db/schema'
import { type EventRow, toEventView } from '../event-view'
import { alertingId } from '../webhooks/ids'
import { enqueueMessage } from '../webhooks/outbox'
import { severityIcon, slackEscape } from '../webhooks/payload'
import {
  type AlertingSnapshot,
  type EventPlan,
  loadAlerting,
  planEvent,
  RANK,
  type RuleRow,
} from './event-plan'
import { announceFiring, resolveAlert } from './notify'
import { DEFAULT_QUIET_SECONDS, describeEvent, incidentKey, RESOLVED_BY } from './pairing'

/**
 * Handles a just-inserted event inside its transaction. Without a snapshot (control-plane
 * events recorded inside some other change's transaction) the rules are read here.
 */
export async function onEventStored(
  tx: DbOrTx,
  row: EventRow,
  now: number,
  snapshot?: AlertingSnapshot,
): Promise<void> {
  const current = snapshot ?? (await loadAlerting(tx, row.orgId, [row.siteId], now))
  await applyPlan(tx, row, planEvent(current, row), now)
}

async function applyPlan(tx: DbOrTx, row: EventRow, plan: EventPlan, now: number) {
  const { site } = plan
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
  if (plan.rules.length === 0) return
  // The plan may predate the transaction: a rule deleted or disabled since then is skipped
  // (acting on a rule edited since is as if the event had come just before the edit).
  const live = await tx
    .select({ id: alertRules.id })
    .from(alertRules)
    .where(
      and(
        inArray(
          alertRules.id,
          plan.rules.map((p) => p.rule.id),
        ),
        eq(alertRules.enabled, true),
      ),
    )
  const liveIds = new Set(live.map((r) => r.id))
  for (const { rule, close, open, silenced } of plan.rules) {
    if (!liveIds.has(rule.id)) continue
    if (close) await closeIncident(tx, rule, row, now)
    if (open) await openOrGroup(tx, rule, row, now, silenced)
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

async function openOrGroup(
  tx: DbOrTx,
  rule: RuleRow,
  row: EventRow,
  now: number,
  silenced: boolean,
) {
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
      // The control plane's own fields last: event details never override them.
      details: { ...row.details, eventId: row.id, type: row.type },
      eventCount: 1,
      startedAt: now,
      lastEventAt: now,
      autoResolveAt,
    })
    .onConflictDoNothing()
    .returning()
  if (created) await announceFiring(tx, created, rule.name, now, silenced)
}
