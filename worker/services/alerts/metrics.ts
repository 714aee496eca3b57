/**
 * Metric threshold rules over the one-minute path rollups. A rule's value for a path is
 * the window's aggregate (sums over counts, as /paths/metrics computes them) of the
 * minutes that overlap the last `windowSeconds`; the rule fires for each path whose value
 * breaches the threshold (one alert per site + path), and resolves an alert once its
 * path's value is back within the threshold or the path stopped reporting.
 */
import { and, eq, gt, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { type alertRules, alerts, pathRollups, sites } from '../../db/schema'
import { alertingId } from '../webhooks/ids'
import { announceFiring, resolveAlert } from './notify'
import { siteFilterMatches } from './selector'

type RuleRow = typeof alertRules.$inferSelect
const MINUTE = 60_000

const UNITS = { lossPct: '%', rttMs: ' ms', jitterMs: ' ms', mos: '' } as const

export async function evaluateMetricRule(db: Db, rule: RuleRow, now: number): Promise<void> {
  const metric = rule.metric
  if (!metric) return
  const from = now - metric.windowSeconds * 1000 - MINUTE
  const candidates = await db
    .select({ id: sites.id, labels: sites.labels })
    .from(sites)
    .where(
      and(eq(sites.orgId, rule.orgId), rule.siteIds ? inArray(sites.id, rule.siteIds) : undefined),
    )
  const siteIds = candidates.filter((s) => siteFilterMatches(rule, s.id, s.labels)).map((s) => s.id)
  const rows =
    siteIds.length === 0
      ? []
      : await db
          .select({
            siteId: pathRollups.siteId,
            peerSiteId: pathRollups.peerSiteId,
            localSlot: pathRollups.localSlot,
            remoteSlot: pathRollups.remoteSlot,
            samples: sql<number>`sum(${pathRollups.samples})`,
            lossSum: sql<number>`sum(${pathRollups.lossSum})`,
            jitterSum: sql<number>`sum(${pathRollups.jitterSum})`,
            rttSum: sql<number>`sum(${pathRollups.rttSum})`,
            rttCount: sql<number>`sum(${pathRollups.rttCount})`,
            mosSum: sql<number>`sum(${pathRollups.mosSum})`,
            mosCount: sql<number>`sum(${pathRollups.mosCount})`,
          })
          .from(pathRollups)
          .where(and(inArray(pathRollups.siteId, siteIds), gt(pathRollups.minute, from)))
          .groupBy(
            pathRollups.siteId,
            pathRollups.peerSiteId,
            pathRollups.localSlot,
            pathRollups.remoteSlot,
          )
  const breaching = new Map<string, { siteId: string; value: number; path: object }>()
  for (const r of rows) {
    const value =
      metric.name === 'lossPct'
        ? r.samples > 0
          ? r.lossSum / r.samples
          : null
        : metric.name === 'jitterMs'
          ? r.samples > 0
            ? r.jitterSum / r.samples
            : null
          : metric.name === 'rttMs'
            ? r.rttCount > 0
              ? r.rttSum / r.rttCount
              : null
            : r.mosCount > 0
              ? r.mosSum / r.mosCount
              : null
    if (value === null) continue
    const breach = metric.op === 'gt' ? value > metric.threshold : value < metric.threshold
    if (!breach) continue
    const path = { peerSiteId: r.peerSiteId, localSlot: r.localSlot, remoteSlot: r.remoteSlot }
    const key = `metric:${r.siteId}:${r.peerSiteId}/${r.localSlot}/${r.remoteSlot}`
    breaching.set(key, { siteId: r.siteId, value: Math.round(value * 1000) / 1000, path })
  }

  const firing = await db
    .select()
    .from(alerts)
    .where(and(eq(alerts.ruleId, rule.id), eq(alerts.status, 'firing')))
  for (const alert of firing) {
    const still = breaching.get(alert.incidentKey)
    if (still) {
      await db
        .update(alerts)
        .set({ lastEventAt: now, details: { ...alert.details, value: still.value } })
        .where(and(eq(alerts.id, alert.id), eq(alerts.status, 'firing')))
      breaching.delete(alert.incidentKey)
    } else {
      await db.transaction((tx) => resolveAlert(tx, alert.id, rule.name, now))
    }
  }
  const op = metric.op === 'gt' ? '>' : '<'
  for (const [key, b] of breaching) {
    await db.transaction(async (tx) => {
      const [created] = await tx
        .insert(alerts)
        .values({
          id: alertingId('alr', now),
          orgId: rule.orgId,
          ruleId: rule.id,
          incidentKey: key,
          siteId: b.siteId,
          status: 'firing',
          severity: rule.severity,
          summary: `${metric.name} ${b.value}${UNITS[metric.name]} ${op} ${metric.threshold}${UNITS[metric.name]} over ${metric.windowSeconds} s`,
          details: {
            metric: metric.name,
            value: b.value,
            threshold: metric.threshold,
            path: b.path,
          },
          eventCount: 1,
          startedAt: now,
          lastEventAt: now,
        })
        .onConflictDoNothing()
        .returning()
      if (created) await announceFiring(tx, created, rule.name, now)
    })
  }
}
