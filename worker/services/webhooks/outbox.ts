/**
 * The webhook outbox. Messages are enqueued in the transaction that produced them (one
 * row per subscribed endpoint); dispatchers claim due rows with one conditional UPDATE of
 * the lease, send, and record the outcome only if they still hold the lease. A dispatcher
 * that dies mid-attempt loses its lease after LEASE_MS and the row is attempted again
 * (receivers de-duplicate on webhook-id, which never changes).
 *
 * Recording an event fills this outbox (services/events.ts -> alerts/on-event.ts -> here),
 * so this module does not import the event recorder back: the `webhook.disabled` event an
 * endpoint's 20th final failure raises is written by the OnEndpointDisabled hook its caller
 * passes in (webhooks/drain.ts), in the same transaction as the disabling.
 */
import { and, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client'
import { webhookDeliveries, webhookEndpoints } from '../../db/schema'
import { type Outcome, RETRY_WINDOW_MS, retryDelayMs } from './backoff'
import { alertingId } from './ids'
import { type Message, renderPayload } from './payload'

export const LEASE_MS = 60_000
/** Final failures in a row that disable an endpoint. */
export const DISABLE_AFTER = 20

export type DeliveryRow = typeof webhookDeliveries.$inferSelect

export const subscribes = (eventTypes: readonly string[], type: string) =>
  eventTypes.includes('*') || eventTypes.includes(type)

/** Enqueues the message for every enabled endpoint of the org that subscribes to it. */
export async function enqueueMessage(
  tx: DbOrTx,
  orgId: string,
  message: Message,
  now: number,
  refs: { eventId?: string; alertId?: string } = {},
): Promise<number> {
  const endpoints = await tx
    .select({
      id: webhookEndpoints.id,
      format: webhookEndpoints.format,
      eventTypes: webhookEndpoints.eventTypes,
    })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.enabled, true)))
  const targets = endpoints.filter((e) => subscribes(e.eventTypes, message.type))
  if (targets.length === 0) return 0
  await tx.insert(webhookDeliveries).values(
    targets.map((e) => ({
      id: alertingId('msg', now),
      orgId,
      endpointId: e.id,
      messageType: message.type,
      eventId: refs.eventId ?? null,
      alertId: refs.alertId ?? null,
      payload: renderPayload(e.format, message),
      status: 'pending' as const,
      nextAttemptAt: now,
      retryUntil: now + RETRY_WINDOW_MS,
      createdAt: now,
    })),
  )
  return targets.length
}

/**
 * Claims up to `limit` due rows for `owner`, fairly: at most one row in flight per
 * endpoint (any dispatcher's live lease counts), none for an endpoint that is held after
 * a retryable failure, at most `perOrg` in flight per org, and turns taken round-robin:
 * every org's oldest due endpoint first, then every org's second, and so on, so that one
 * org's backlog cannot fill the batch ahead of another org's single message (docs/security.md,
 * finding 4). Atomic: the UPDATE re-checks lease, endpoint and hold, so no row is claimed
 * twice and no endpoint gets two attempts at once.
 */
export async function claimDue(
  db: Db,
  owner: string,
  now: number,
  limit: number,
  perOrg = limit,
): Promise<DeliveryRow[]> {
  // Look first (a read never waits on a writer): an idle poll writes nothing.
  const found = await db.all<{ id: string }>(sql`
    WITH busy AS (
      SELECT endpoint_id, org_id FROM webhook_deliveries
      WHERE status = 'pending' AND lease_until > ${now}
    ),
    heads AS (
      SELECT d.id, d.org_id, d.next_attempt_at,
        row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.id) AS pos
      FROM webhook_deliveries d
      WHERE d.status = 'pending' AND d.next_attempt_at <= ${now}
        AND (d.lease_until IS NULL OR d.lease_until <= ${now})
        AND d.endpoint_id NOT IN (SELECT endpoint_id FROM busy)
        AND NOT EXISTS (
          SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.held_until > ${now}
        )
    ),
    turns AS (
      SELECT id, org_id, next_attempt_at,
        row_number() OVER (PARTITION BY org_id ORDER BY next_attempt_at, id) AS turn
      FROM heads WHERE pos = 1
    )
    SELECT t.id FROM turns t
    WHERE t.turn + (SELECT count(*) FROM busy b WHERE b.org_id = t.org_id) <= ${perOrg}
    ORDER BY t.turn, t.next_attempt_at, t.id
    LIMIT ${limit}`)
  if (found.length === 0) return []
  const ids = found.map((r) => r.id)
  // Raw column names: inside the subqueries `webhook_deliveries` must name the outer row.
  const endpointFree = sql`NOT EXISTS (
    SELECT 1 FROM webhook_deliveries b
    WHERE b.endpoint_id = webhook_deliveries.endpoint_id
      AND b.status = 'pending' AND b.lease_until > ${now})`
  const notHeld = sql`NOT EXISTS (
    SELECT 1 FROM webhook_endpoints e
    WHERE e.id = webhook_deliveries.endpoint_id AND e.held_until > ${now})`
  return db
    .update(webhookDeliveries)
    .set({ leaseOwner: owner, leaseUntil: now + LEASE_MS })
    .where(
      and(
        inArray(webhookDeliveries.id, ids),
        eq(webhookDeliveries.status, 'pending'),
        lte(webhookDeliveries.nextAttemptAt, now),
        or(isNull(webhookDeliveries.leaseUntil), lte(webhookDeliveries.leaseUntil, now)),
        endpointFree,
        notHeld,
      ),
    )
    .returning()
}

/** An endpoint that was just disabled after DISABLE_AFTER final failures in a row. */
export interface DisabledEndpoint {
  orgId: string
  webhookId: string
  url: string
  consecutiveFailures: number
  /** The delivery whose failure disabled it. */
  lastDeliveryId: string
}

/** Records that an endpoint was disabled, inside the transaction that disabled it. */
export type OnEndpointDisabled = (
  tx: DbOrTx,
  endpoint: DisabledEndpoint,
  now: number,
) => Promise<void>

export interface AttemptRecord {
  outcome: Outcome
  startedAt: number
  latencyMs: number | null
}

/**
 * Records an attempt's outcome, if `owner` still holds the row's lease. Final failures
 * count against the endpoint; the 20th in a row disables it and raises webhook.disabled.
 */
export async function completeAttempt(
  db: Db,
  row: DeliveryRow,
  owner: string,
  record: AttemptRecord,
  now: number,
  random: number,
  onDisabled: OnEndpointDisabled,
  retryBaseMs?: number,
): Promise<'succeeded' | 'retry' | 'failed' | 'lost'> {
  const attempts = row.attempts + 1
  const { outcome } = record
  let status: 'pending' | 'succeeded' | 'failed' = 'failed'
  let next: number | null = null
  let error = outcome.kind === 'success' ? null : outcome.error
  // A retryable failure holds the whole endpoint until the retry is due (see claimDue).
  let holdUntil: number | null = null
  if (outcome.kind === 'success') status = 'succeeded'
  else if (outcome.kind === 'retry') {
    const wait = retryDelayMs(outcome.retryAfter, attempts, now, random, retryBaseMs)
    holdUntil = now + wait
    if (now + wait <= row.retryUntil) {
      status = 'pending'
      next = now + wait
    } else {
      error = `${outcome.error}; retries exhausted (24 h)`
    }
  }
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(webhookDeliveries)
      .set({
        status,
        attempts,
        nextAttemptAt: next,
        leaseOwner: null,
        leaseUntil: null,
        lastAttemptAt: record.startedAt,
        lastStatusCode: outcome.status,
        lastLatencyMs: record.latencyMs,
        lastError: error?.slice(0, 500) ?? null,
        completedAt: status === 'pending' ? null : now,
      })
      .where(
        and(
          eq(webhookDeliveries.id, row.id),
          eq(webhookDeliveries.leaseOwner, owner),
          eq(webhookDeliveries.status, 'pending'),
        ),
      )
      .returning({ id: webhookDeliveries.id })
    if (updated.length === 0) return 'lost'
    if (holdUntil !== null) {
      await tx
        .update(webhookEndpoints)
        .set({ heldUntil: sql`max(coalesce(${webhookEndpoints.heldUntil}, 0), ${holdUntil})` })
        .where(eq(webhookEndpoints.id, row.endpointId))
    }
    if (status === 'succeeded') {
      await tx
        .update(webhookEndpoints)
        .set({ consecutiveFailures: 0 })
        .where(eq(webhookEndpoints.id, row.endpointId))
      return 'succeeded'
    }
    if (status === 'pending') return 'retry'
    await countFinalFailure(tx, row, now, onDisabled)
    return 'failed'
  })
}

async function countFinalFailure(
  tx: DbOrTx,
  row: DeliveryRow,
  now: number,
  onDisabled: OnEndpointDisabled,
) {
  const [endpoint] = await tx
    .update(webhookEndpoints)
    .set({ consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1` })
    .where(eq(webhookEndpoints.id, row.endpointId))
    .returning()
  if (!endpoint || endpoint.consecutiveFailures < DISABLE_AFTER) return
  // The conditional update decides which dispatcher announces it: one event.
  const disabled = await tx
    .update(webhookEndpoints)
    .set({
      enabled: false,
      disabledAt: now,
      disabledReason: `${endpoint.consecutiveFailures} deliveries in a row failed`,
      updatedAt: now,
      version: sql`${webhookEndpoints.version} + 1`,
    })
    .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.enabled, true)))
    .returning({ id: webhookEndpoints.id })
  if (disabled.length === 0) return
  await onDisabled(
    tx,
    {
      orgId: endpoint.orgId,
      webhookId: endpoint.id,
      url: endpoint.url,
      consecutiveFailures: endpoint.consecutiveFailures,
      lastDeliveryId: row.id,
    },
    now,
  )
}

/** Marks a claimed row cancelled (its endpoint was disabled or deleted meanwhile). */
export async function cancelDelivery(
  db: Db,
  row: DeliveryRow,
  owner: string,
  now: number,
  why: string,
) {
  await db
    .update(webhookDeliveries)
    .set({
      status: 'cancelled',
      leaseOwner: null,
      leaseUntil: null,
      lastError: why,
      completedAt: now,
    })
    .where(and(eq(webhookDeliveries.id, row.id), eq(webhookDeliveries.leaseOwner, owner)))
}
