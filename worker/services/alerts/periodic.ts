/**
 * The periodic alert pass (Node: every 15 s in the dispatcher; Workers: the cron trigger):
 * quiet incidents resolve, metric rules are evaluated, alerts whose silence ended are
 * announced, and un-acknowledged alerts are re-announced every `repeatIntervalSeconds`.
 * Each change is a conditional update, so several instances running it at once send one
 * notification per change.
 */
import { and, eq, isNotNull, isNull, lte } from 'drizzle-orm'
import { alertRules, alerts } from '../../db/schema'
import type { ServiceContext } from '../context'
import { evaluateMetricRule } from './metrics'
import { enqueueAlert, isSilenced, resolveAlert } from './notify'

const BATCH = 500

export async function evaluateAlerts(ctx: Pick<ServiceContext, 'db' | 'clock'>): Promise<void> {
  const { db } = ctx
  const now = ctx.clock.now()
  const quiet = await db
    .select({ id: alerts.id, ruleName: alertRules.name })
    .from(alerts)
    .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
    .where(and(eq(alerts.status, 'firing'), lte(alerts.autoResolveAt, now)))
    .limit(BATCH)
  for (const q of quiet) {
    await db.transaction((tx) => resolveAlert(tx, q.id, q.ruleName, now, { reason: 'quiet' }))
  }

  const metricRules = await db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.kind, 'metric'), eq(alertRules.enabled, true)))
  for (const rule of metricRules) await evaluateMetricRule(db, rule, now)

  // Announce what a silence held back, and repeat what nobody acknowledged.
  const open = await db
    .select({ alert: alerts, rule: alertRules })
    .from(alerts)
    .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
    .where(and(eq(alerts.status, 'firing'), isNull(alerts.ackedAt)))
    .limit(BATCH)
  for (const { alert, rule } of open) {
    const repeatMs = rule.repeatIntervalSeconds ? rule.repeatIntervalSeconds * 1000 : null
    const due =
      alert.notifiedAt === null || (repeatMs !== null && alert.notifiedAt + repeatMs <= now)
    if (!due) continue
    await db.transaction(async (tx) => {
      if (await isSilenced(tx, alert, now)) return
      const claimed = await tx
        .update(alerts)
        .set({ notifiedAt: now })
        .where(
          and(
            eq(alerts.id, alert.id),
            eq(alerts.status, 'firing'),
            alert.notifiedAt === null
              ? isNull(alerts.notifiedAt)
              : and(isNotNull(alerts.notifiedAt), eq(alerts.notifiedAt, alert.notifiedAt)),
          ),
        )
        .returning()
      const row = claimed[0]
      if (row) await enqueueAlert(tx, row, rule.name, 'firing', now, alert.notifiedAt !== null)
    })
  }
}
