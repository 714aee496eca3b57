/** Alert rules, for operators: event rules (type, site, severity) and metric rules. */
import { and, eq, gt, inArray } from 'drizzle-orm'
import type { AlertRuleCreate, AlertRuleUpdate } from '../../api/alerts'
import { isoTime } from '../../api/common'
import type { DbOrTx } from '../../db/client'
import { isUniqueViolation } from '../../db/errors'
import { alertRules, alerts, sites } from '../../db/schema'
import { conflict, invalid, notFound } from '../../errors'
import { recordAudit } from '../audit'
import type { Actor, ServiceContext } from '../context'
import { decodeCursor, type PageRequest, toPage } from '../pagination'
import { assertVersion } from '../versioning'
import { alertingId } from '../webhooks/ids'

type RuleRow = typeof alertRules.$inferSelect

export const toAlertRule = (row: RuleRow) => ({
  id: row.id,
  name: row.name,
  enabled: row.enabled,
  kind: row.kind,
  eventTypes: row.eventTypes,
  metric: row.metric ?? null,
  siteIds: row.siteIds ?? null,
  siteSelector: row.siteSelector,
  minSeverity: row.minSeverity,
  severity: row.severity,
  resolveAfterSeconds: row.resolveAfterSeconds,
  repeatIntervalSeconds: row.repeatIntervalSeconds,
  createdAt: isoTime(row.createdAt)!,
  updatedAt: isoTime(row.updatedAt)!,
  version: row.version,
})

export async function assertSitesInOrg(
  tx: DbOrTx,
  orgId: string,
  ids: string[] | null | undefined,
) {
  if (!ids || ids.length === 0) return
  const found = await tx
    .select({ id: sites.id })
    .from(sites)
    .where(and(eq(sites.orgId, orgId), inArray(sites.id, ids)))
  const known = new Set(found.map((r) => r.id))
  const unknown = ids.filter((id) => !known.has(id))
  if (unknown.length > 0) {
    throw invalid([{ path: 'siteIds', message: `unknown site(s): ${unknown.join(', ')}` }])
  }
}

function rethrowUnique(error: unknown, name: string | undefined): never {
  if (isUniqueViolation(error)) throw conflict(`an alert rule named "${name}" already exists`)
  throw error
}

export async function findRule(tx: DbOrTx, orgId: string, id: string) {
  const [row] = await tx
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.orgId, orgId), eq(alertRules.id, id)))
  if (!row) throw notFound('alert rule', id)
  return row
}

export async function createRule(ctx: ServiceContext, actor: Actor, input: AlertRuleCreate) {
  const now = ctx.clock.now()
  try {
    return await ctx.db.transaction(async (tx) => {
      await assertSitesInOrg(tx, actor.orgId, input.siteIds)
      const [row] = await tx
        .insert(alertRules)
        .values({
          id: alertingId('arl', now),
          orgId: actor.orgId,
          name: input.name,
          enabled: input.enabled,
          kind: input.metric ? 'metric' : 'event',
          eventTypes: input.eventTypes ?? [],
          metric: input.metric ?? null,
          siteIds: input.siteIds ?? null,
          siteSelector: input.siteSelector ?? null,
          minSeverity: input.minSeverity,
          severity: input.severity,
          resolveAfterSeconds: input.resolveAfterSeconds ?? null,
          repeatIntervalSeconds: input.repeatIntervalSeconds ?? null,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
      await recordAudit(tx, actor, now, {
        action: 'alert_rule.created',
        objectType: 'alert_rule',
        objectId: row!.id,
      })
      return toAlertRule(row!)
    })
  } catch (error) {
    rethrowUnique(error, input.name)
  }
}

export async function listRules(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.orgId, actor.orgId), after ? gt(alertRules.id, after) : undefined))
    .orderBy(alertRules.id)
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toAlertRule)
}

export async function getRule(ctx: ServiceContext, actor: Actor, id: string) {
  return toAlertRule(await findRule(ctx.db, actor.orgId, id))
}

export async function updateRule(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  patch: AlertRuleUpdate,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  try {
    return await ctx.db.transaction(async (tx) => {
      const current = await findRule(tx, actor.orgId, id)
      assertVersion(ifMatch, current.version, `alert rule ${id}`)
      if (current.kind === 'event' && patch.metric !== undefined) {
        throw invalid([{ path: 'metric', message: 'an event rule cannot become a metric rule' }])
      }
      if (current.kind === 'metric' && patch.eventTypes !== undefined) {
        throw invalid([{ path: 'eventTypes', message: 'a metric rule has no event types' }])
      }
      await assertSitesInOrg(tx, actor.orgId, patch.siteIds)
      const [row] = await tx
        .update(alertRules)
        .set({ ...patch, updatedAt: now, version: current.version + 1 })
        .where(eq(alertRules.id, id))
        .returning()
      await recordAudit(tx, actor, now, {
        action: 'alert_rule.updated',
        objectType: 'alert_rule',
        objectId: id,
        details: { fields: Object.keys(patch) },
      })
      return toAlertRule(row!)
    })
  } catch (error) {
    rethrowUnique(error, patch.name)
  }
}

/** Deletes the rule; its firing alerts end with it (resolved, without a notification). */
export async function deleteRule(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  await ctx.db.transaction(async (tx) => {
    const current = await findRule(tx, actor.orgId, id)
    assertVersion(ifMatch, current.version, `alert rule ${id}`)
    await tx
      .update(alerts)
      .set({ status: 'resolved', resolvedAt: now, autoResolveAt: null })
      .where(and(eq(alerts.ruleId, id), eq(alerts.status, 'firing')))
    await tx.delete(alertRules).where(eq(alertRules.id, id))
    await recordAudit(tx, actor, now, {
      action: 'alert_rule.deleted',
      objectType: 'alert_rule',
      objectId: id,
    })
  })
}
