/**
 * Webhook endpoints and their delivery log, for operators. The secret is returned by
 * create and rotate-secret only; a rotation keeps the old secret signing for 24 h so
 * receivers can switch without dropping a delivery.
 */
import { and, desc, eq, lt, ne, sql } from 'drizzle-orm'
import { isoTime } from '../../api/common'
import type { WebhookCreate, WebhookUpdate } from '../../api/webhooks'
import { webhookDeliveries, webhookEndpoints } from '../../db/schema'
import { conflict, invalid, notFound } from '../../errors'
import { recordAudit } from '../audit'
import type { Actor, ServiceContext } from '../context'
import { decodeCursor, type PageRequest, toPage } from '../pagination'
import { assertWebhookQuota, DEFAULT_QUOTAS } from '../quotas'
import { assertVersion } from '../versioning'
import { RETRY_WINDOW_MS } from './backoff'
import type { EndpointRow } from './deliver'
import { alertingId } from './ids'
import type { DeliveryRow } from './outbox'
import { newWebhookSecret } from './signing'
import { targetProblem } from './target'

export const ROTATION_OVERLAP_MS = 24 * 3_600_000

export const toWebhook = (row: EndpointRow) => ({
  id: row.id,
  url: row.url,
  description: row.description,
  events: row.eventTypes,
  format: row.format,
  enabled: row.enabled,
  consecutiveFailures: row.consecutiveFailures,
  disabledAt: isoTime(row.disabledAt),
  disabledReason: row.disabledReason,
  previousSecretExpiresAt: isoTime(row.previousSecretExpiresAt),
  createdAt: isoTime(row.createdAt)!,
  updatedAt: isoTime(row.updatedAt)!,
  version: row.version,
})

export const toDelivery = (row: DeliveryRow) => ({
  id: row.id,
  webhookId: row.endpointId,
  type: row.messageType,
  eventId: row.eventId,
  alertId: row.alertId,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'pending' ? isoTime(row.nextAttemptAt) : null,
  lastAttemptAt: isoTime(row.lastAttemptAt),
  responseStatus: row.lastStatusCode,
  latencyMs: row.lastLatencyMs,
  error: row.lastError,
  createdAt: isoTime(row.createdAt)!,
  completedAt: isoTime(row.completedAt),
})

function checkUrl(url: string, allowPrivate: boolean) {
  const problem = targetProblem(url, allowPrivate)
  if (problem) throw invalid([{ path: 'url', message: `the URL ${problem}` }])
}

export async function findEndpoint(ctx: ServiceContext, orgId: string, id: string) {
  const [row] = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, id)))
  if (!row) throw notFound('webhook', id)
  return row
}

export async function createWebhook(
  ctx: ServiceContext,
  actor: Actor,
  input: WebhookCreate,
  allowPrivate: boolean,
) {
  checkUrl(input.url, allowPrivate)
  const now = ctx.clock.now()
  const secret = newWebhookSecret()
  const row = await ctx.db.transaction(async (tx) => {
    await assertWebhookQuota(tx, actor.orgId, ctx.quotas ?? DEFAULT_QUOTAS)
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        id: alertingId('whk', now),
        orgId: actor.orgId,
        url: input.url,
        description: input.description ?? null,
        eventTypes: [...new Set(input.events)],
        format: input.format,
        enabled: input.enabled,
        secret,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    await recordAudit(tx, actor, now, {
      action: 'webhook.created',
      objectType: 'webhook',
      objectId: row!.id,
      details: { url: input.url, events: input.events },
    })
    return row!
  })
  return { ...toWebhook(row), secret }
}

export async function listWebhooks(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.orgId, actor.orgId),
        after ? sql`${webhookEndpoints.id} > ${after}` : undefined,
      ),
    )
    .orderBy(webhookEndpoints.id)
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toWebhook)
}

export async function getWebhook(ctx: ServiceContext, actor: Actor, id: string) {
  return toWebhook(await findEndpoint(ctx, actor.orgId, id))
}

export async function updateWebhook(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  patch: WebhookUpdate,
  ifMatch: '*' | number[] | undefined,
  allowPrivate: boolean,
) {
  if (patch.url !== undefined) checkUrl(patch.url, allowPrivate)
  const now = ctx.clock.now()
  return ctx.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.orgId, actor.orgId), eq(webhookEndpoints.id, id)))
    if (!current) throw notFound('webhook', id)
    assertVersion(ifMatch, current.version, `webhook ${id}`)
    // Re-enabling starts the failure count afresh.
    const reenabled = patch.enabled === true && !current.enabled
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.events !== undefined ? { eventTypes: [...new Set(patch.events)] } : {}),
        ...(patch.format !== undefined ? { format: patch.format } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(reenabled ? { consecutiveFailures: 0, disabledAt: null, disabledReason: null } : {}),
        // A hold was earned by the old receiver: a new URL or a re-enable starts afresh.
        ...(reenabled || patch.url !== undefined ? { heldUntil: null } : {}),
        updatedAt: now,
        version: current.version + 1,
      })
      .where(eq(webhookEndpoints.id, id))
      .returning()
    await recordAudit(tx, actor, now, {
      action: 'webhook.updated',
      objectType: 'webhook',
      objectId: id,
      details: { fields: Object.keys(patch) },
    })
    return toWebhook(row!)
  })
}

export async function deleteWebhook(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  await ctx.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.orgId, actor.orgId), eq(webhookEndpoints.id, id)))
    if (!current) throw notFound('webhook', id)
    assertVersion(ifMatch, current.version, `webhook ${id}`)
    await tx.delete(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id))
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id))
    await recordAudit(tx, actor, now, {
      action: 'webhook.deleted',
      objectType: 'webhook',
      objectId: id,
    })
  })
}

export async function rotateSecret(ctx: ServiceContext, actor: Actor, id: string) {
  const now = ctx.clock.now()
  const secret = newWebhookSecret()
  const row = await ctx.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.orgId, actor.orgId), eq(webhookEndpoints.id, id)))
    if (!current) throw notFound('webhook', id)
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        secret,
        previousSecret: current.secret,
        previousSecretExpiresAt: now + ROTATION_OVERLAP_MS,
        updatedAt: now,
        version: current.version + 1,
      })
      .where(eq(webhookEndpoints.id, id))
      .returning()
    await recordAudit(tx, actor, now, {
      action: 'webhook.secret_rotated',
      objectType: 'webhook',
      objectId: id,
    })
    return row!
  })
  return { ...toWebhook(row), secret }
}

export async function listDeliveries(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  query: PageRequest & { status?: DeliveryRow['status'] | undefined },
) {
  await findEndpoint(ctx, actor.orgId, id)
  const before = decodeCursor(query.cursor)
  const rows = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, id),
        query.status ? eq(webhookDeliveries.status, query.status) : undefined,
        before ? lt(webhookDeliveries.id, before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(query.limit + 1)
  return toPage(rows, query.limit, toDelivery)
}

/**
 * Sends a delivery again, with the same webhook-id (receivers that de-duplicate will see
 * a repeat). Its retry window starts again; a pending delivery is already going.
 */
export async function redeliver(ctx: ServiceContext, actor: Actor, id: string, deliveryId: string) {
  const endpoint = await findEndpoint(ctx, actor.orgId, id)
  if (!endpoint.enabled) throw conflict(`webhook ${id} is disabled; enable it first`)
  const now = ctx.clock.now()
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookDeliveries)
      .set({
        status: 'pending',
        nextAttemptAt: now,
        retryUntil: now + RETRY_WINDOW_MS,
        completedAt: null,
        leaseOwner: null,
        leaseUntil: null,
      })
      .where(
        and(
          eq(webhookDeliveries.id, deliveryId),
          eq(webhookDeliveries.endpointId, id),
          ne(webhookDeliveries.status, 'pending'),
        ),
      )
      .returning()
    if (!row) {
      const [exists] = await tx
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, id)))
      if (!exists) throw notFound('delivery', deliveryId)
      throw conflict(`delivery ${deliveryId} is still pending`)
    }
    // The operator asks for an attempt now: the endpoint's retry hold does not apply.
    await tx.update(webhookEndpoints).set({ heldUntil: null }).where(eq(webhookEndpoints.id, id))
    await recordAudit(tx, actor, now, {
      action: 'webhook.redelivered',
      objectType: 'webhook',
      objectId: id,
      details: { deliveryId },
    })
    return toDelivery(row)
  })
}
