/**
 * Turning alerts into webhook messages (`alert.firing`, `alert.resolved`), minus those a
 * silence mutes. An alert that fired while silenced has `notifiedAt` null: it is announced
 * later if the silence ends first (periodic.ts), and its resolution is announced only if
 * its firing was.
 */
import { and, eq, gt, lte } from 'drizzle-orm'
import { isoTime } from '../../api/common'
import type { DbOrTx } from '../../db/client'
import { alerts, silences, sites } from '../../db/schema'
import { enqueueMessage } from '../webhooks/outbox'
import { type Message, severityIcon, slackEscape } from '../webhooks/payload'
import { silencedBy } from './event-plan'

export type AlertRow = typeof alerts.$inferSelect

export async function siteInfo(tx: DbOrTx, siteId: string | null) {
  if (!siteId) return null
  const [row] = await tx
    .select({ name: sites.name, labels: sites.labels })
    .from(sites)
    .where(eq(sites.id, siteId))
  return row ?? null
}

export async function isSilenced(
  tx: DbOrTx,
  alert: Pick<AlertRow, 'orgId' | 'ruleId' | 'siteId'>,
  now: number,
): Promise<boolean> {
  const active = await tx
    .select()
    .from(silences)
    .where(
      and(eq(silences.orgId, alert.orgId), lte(silences.startsAt, now), gt(silences.endsAt, now)),
    )
  if (active.length === 0) return false
  const site = await siteInfo(tx, alert.siteId)
  return silencedBy(active, alert.ruleId, alert.siteId, site?.labels ?? null)
}

export const toAlertView = (row: AlertRow, ruleName: string | null = null) => ({
  id: row.id,
  ruleId: row.ruleId,
  ruleName,
  incidentKey: row.incidentKey,
  siteId: row.siteId,
  status: row.status,
  severity: row.severity,
  summary: row.summary,
  details: row.details,
  eventCount: row.eventCount,
  startedAt: isoTime(row.startedAt)!,
  lastEventAt: isoTime(row.lastEventAt)!,
  resolvedAt: isoTime(row.resolvedAt),
  acknowledgedAt: isoTime(row.ackedAt),
  acknowledgedBy: row.ackedBy,
  notifiedAt: isoTime(row.notifiedAt),
})

export async function enqueueAlert(
  tx: DbOrTx,
  row: AlertRow,
  ruleName: string,
  kind: 'firing' | 'resolved',
  now: number,
  repeat = false,
): Promise<void> {
  const site = await siteInfo(tx, row.siteId)
  const where = site ? ` at site *${slackEscape(site.name)}*` : ''
  const text =
    kind === 'firing'
      ? `${severityIcon(row.severity)} [FIRING${repeat ? ', repeated' : ''}] ${slackEscape(ruleName)}: ${slackEscape(row.summary)}${where}`
      : `:white_check_mark: [RESOLVED] ${slackEscape(ruleName)}: ${slackEscape(row.summary)}${where}`
  const message: Message = {
    type: `alert.${kind}`,
    at: now,
    data: { ...toAlertView(row, ruleName), siteName: site?.name ?? null, repeat },
    text,
  }
  await enqueueMessage(tx, row.orgId, message, now, { alertId: row.id })
}

/**
 * Announces a newly firing alert unless silenced; records that it was announced. Callers
 * that decided `silenced` before the transaction (on-event.ts) pass it in.
 */
export async function announceFiring(
  tx: DbOrTx,
  row: AlertRow,
  ruleName: string,
  now: number,
  silenced?: boolean,
) {
  if (silenced ?? (await isSilenced(tx, row, now))) return
  await tx.update(alerts).set({ notifiedAt: now }).where(eq(alerts.id, row.id))
  await enqueueAlert(tx, { ...row, notifiedAt: now }, ruleName, 'firing', now)
}

/** Resolves a firing alert (once, whoever gets there first) and announces it if it fired. */
export async function resolveAlert(
  tx: DbOrTx,
  alertId: string,
  ruleName: string,
  now: number,
  details?: Record<string, unknown>,
): Promise<boolean> {
  const [row] = await tx
    .update(alerts)
    .set({ status: 'resolved', resolvedAt: now, autoResolveAt: null })
    .where(and(eq(alerts.id, alertId), eq(alerts.status, 'firing')))
    .returning()
  if (!row) return false
  const view = details ? { ...row, details: { ...row.details, resolution: details } } : row
  if (row.notifiedAt !== null) await enqueueAlert(tx, view, ruleName, 'resolved', now)
  return true
}
