/** Alerts and silences, for operators: list, acknowledge, mute until a time. */
import { and, desc, eq, gt, isNull, lt, lte, or } from 'drizzle-orm'
import type { SilenceCreate } from '../../api/alerts'
import { isoTime } from '../../api/common'
import { alertRules, alerts, silences } from '../../db/schema'
import { invalid, notFound } from '../../errors'
import { recordAudit } from '../audit'
import type { Actor, ServiceContext } from '../context'
import { decodeCursor, type PageRequest, toPage } from '../pagination'
import { alertingId } from '../webhooks/ids'
import { toAlertView } from './notify'
import { assertSitesInOrg, findRule } from './rules'

export interface AlertQuery extends PageRequest {
  status?: 'firing' | 'resolved' | undefined
  ruleId?: string | undefined
  siteId?: string | undefined
}

/** Newest first. */
export async function listAlerts(ctx: ServiceContext, actor: Actor, query: AlertQuery) {
  const before = decodeCursor(query.cursor)
  const rows = await ctx.db
    .select({ alert: alerts, ruleName: alertRules.name })
    .from(alerts)
    .leftJoin(alertRules, eq(alertRules.id, alerts.ruleId))
    .where(
      and(
        eq(alerts.orgId, actor.orgId),
        query.status ? eq(alerts.status, query.status) : undefined,
        query.ruleId ? eq(alerts.ruleId, query.ruleId) : undefined,
        query.siteId ? eq(alerts.siteId, query.siteId) : undefined,
        before ? lt(alerts.id, before) : undefined,
      ),
    )
    .orderBy(desc(alerts.id))
    .limit(query.limit + 1)
  return toPage(
    rows.map((r) => ({ ...r, id: r.alert.id })),
    query.limit,
    (r) => toAlertView(r.alert, r.ruleName),
  )
}

async function findAlert(ctx: ServiceContext, orgId: string, id: string) {
  const [row] = await ctx.db
    .select({ alert: alerts, ruleName: alertRules.name })
    .from(alerts)
    .leftJoin(alertRules, eq(alertRules.id, alerts.ruleId))
    .where(and(eq(alerts.orgId, orgId), eq(alerts.id, id)))
  if (!row) throw notFound('alert', id)
  return row
}

export async function getAlert(ctx: ServiceContext, actor: Actor, id: string) {
  const row = await findAlert(ctx, actor.orgId, id)
  return toAlertView(row.alert, row.ruleName)
}

/**
 * Acknowledges an alert: someone is on it. No more repeat notifications; the resolve
 * notification is still sent. Idempotent (the first acknowledgement is kept).
 */
export async function acknowledgeAlert(ctx: ServiceContext, actor: Actor, id: string) {
  const now = ctx.clock.now()
  await findAlert(ctx, actor.orgId, id)
  await ctx.db.transaction(async (tx) => {
    const acked = await tx
      .update(alerts)
      .set({ ackedAt: now, ackedBy: actor.id })
      .where(and(eq(alerts.id, id), eq(alerts.orgId, actor.orgId), isNull(alerts.ackedAt)))
      .returning({ id: alerts.id })
    if (acked.length > 0) {
      await recordAudit(tx, actor, now, {
        action: 'alert.acknowledged',
        objectType: 'alert',
        objectId: id,
      })
    }
  })
  return getAlert(ctx, actor, id)
}

type SilenceRow = typeof silences.$inferSelect

const toSilence = (row: SilenceRow, now: number) => ({
  id: row.id,
  ruleId: row.ruleId,
  siteIds: row.siteIds ?? null,
  siteSelector: row.siteSelector,
  comment: row.comment,
  startsAt: isoTime(row.startsAt)!,
  endsAt: isoTime(row.endsAt)!,
  active: row.startsAt <= now && now < row.endsAt,
  createdBy: row.createdBy,
  createdAt: isoTime(row.createdAt)!,
})

export async function createSilence(ctx: ServiceContext, actor: Actor, input: SilenceCreate) {
  const now = ctx.clock.now()
  const startsAt = input.startsAt ? Date.parse(input.startsAt) : now
  const endsAt = Date.parse(input.endsAt)
  if (endsAt <= Math.max(now, startsAt)) {
    throw invalid([{ path: 'endsAt', message: 'must be in the future and after startsAt' }])
  }
  return ctx.db.transaction(async (tx) => {
    if (input.ruleId) await findRule(tx, actor.orgId, input.ruleId)
    await assertSitesInOrg(tx, actor.orgId, input.siteIds)
    const [row] = await tx
      .insert(silences)
      .values({
        id: alertingId('sil', now),
        orgId: actor.orgId,
        ruleId: input.ruleId ?? null,
        siteIds: input.siteIds ?? null,
        siteSelector: input.siteSelector ?? null,
        comment: input.comment,
        startsAt,
        endsAt,
        createdBy: actor.id,
        createdAt: now,
      })
      .returning()
    await recordAudit(tx, actor, now, {
      action: 'silence.created',
      objectType: 'silence',
      objectId: row!.id,
    })
    return toSilence(row!, now)
  })
}

export async function listSilences(
  ctx: ServiceContext,
  actor: Actor,
  query: PageRequest & { active?: 'true' | 'false' | undefined },
) {
  const now = ctx.clock.now()
  const before = decodeCursor(query.cursor)
  const activeNow = and(lte(silences.startsAt, now), gt(silences.endsAt, now))
  const rows = await ctx.db
    .select()
    .from(silences)
    .where(
      and(
        eq(silences.orgId, actor.orgId),
        query.active === 'true' ? activeNow : undefined,
        query.active === 'false'
          ? or(gt(silences.startsAt, now), lte(silences.endsAt, now))
          : undefined,
        before ? lt(silences.id, before) : undefined,
      ),
    )
    .orderBy(desc(silences.id))
    .limit(query.limit + 1)
  return toPage(rows, query.limit, (r) => toSilence(r, now))
}

export async function getSilence(ctx: ServiceContext, actor: Actor, id: string) {
  const [row] = await ctx.db
    .select()
    .from(silences)
    .where(and(eq(silences.orgId, actor.orgId), eq(silences.id, id)))
  if (!row) throw notFound('silence', id)
  return toSilence(row, ctx.clock.now())
}

/** Ends a silence now (kept for the record); alerts it held back are announced next pass. */
export async function expireSilence(ctx: ServiceContext, actor: Actor, id: string) {
  const now = ctx.clock.now()
  await getSilence(ctx, actor, id)
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(silences)
      .set({ endsAt: now })
      .where(and(eq(silences.id, id), gt(silences.endsAt, now)))
    await recordAudit(tx, actor, now, {
      action: 'silence.expired',
      objectType: 'silence',
      objectId: id,
    })
  })
}
