/**
 * Per-org quotas (docs/security.md, finding 5): how many sites, webhook endpoints,
 * applications and scorer plugins an org may hold, and how many events per minute its agents
 * and operators may add. Each check runs inside the write transaction that would cross the
 * limit, so concurrent requests cannot both slip under it (the database has one writer). The
 * count queries ride on indexes that start with org_id (sites_org_id_idx,
 * webhook_endpoints_org_idx, events_org_idx, applications_org_id_idx, scorers_org_name_uq).
 *
 * Holding too many objects is a 409 `quota-exceeded` (retrying does not help until one is
 * deleted); too many events is a 429 `event-quota-exceeded` with Retry-After (it passes).
 */
import { and, count, eq, gte } from 'drizzle-orm'
import { MAX_ORG_APPLICATIONS } from '../../protocol/applications'
import { ID_PREFIX, idFloor, idTime } from '../../protocol/ids'
import type { DbOrTx } from '../db/client'
import { applications, events, scorers, sites, webhookEndpoints } from '../db/schema'
import { ProblemError } from '../errors'

export interface Quotas {
  /** Sites per org (PATRONUS_QUOTA_SITES). */
  sites: number
  /** Webhook endpoints per org (PATRONUS_QUOTA_WEBHOOKS). */
  webhooks: number
  /** Events per org in any 60 s, from agents and operators (PATRONUS_QUOTA_EVENTS_PER_MINUTE). */
  eventsPerMinute: number
  /**
   * Applications per org (PATRONUS_QUOTA_APPLICATIONS); at most MAX_ORG_APPLICATIONS, what
   * one agent's classifier tables always hold.
   */
  applications: number
  /** Scorer plugins per org (PATRONUS_QUOTA_SCORERS): each holds up to 4 MiB in the database. */
  scorers: number
}

export const DEFAULT_QUOTAS: Quotas = {
  sites: 1000,
  webhooks: 100,
  eventsPerMinute: 6000,
  applications: MAX_ORG_APPLICATIONS,
  scorers: 32,
}

const WINDOW_MS = 60_000

export async function assertSiteQuota(tx: DbOrTx, orgId: string, quotas: Quotas): Promise<void> {
  const [row] = await tx.select({ n: count() }).from(sites).where(eq(sites.orgId, orgId))
  if ((row?.n ?? 0) >= quotas.sites) {
    throw new ProblemError(
      'quota-exceeded',
      `the org holds ${row?.n} sites, its quota is ${quotas.sites} (PATRONUS_QUOTA_SITES); delete a site first`,
      { quota: 'sites', limit: quotas.sites },
    )
  }
}

export async function assertWebhookQuota(tx: DbOrTx, orgId: string, quotas: Quotas): Promise<void> {
  const [row] = await tx
    .select({ n: count() })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.orgId, orgId))
  if ((row?.n ?? 0) >= quotas.webhooks) {
    throw new ProblemError(
      'quota-exceeded',
      `the org holds ${row?.n} webhook endpoints, its quota is ${quotas.webhooks} (PATRONUS_QUOTA_WEBHOOKS); delete one first`,
      { quota: 'webhooks', limit: quotas.webhooks },
    )
  }
}

export async function assertApplicationQuota(
  tx: DbOrTx,
  orgId: string,
  quotas: Quotas,
): Promise<void> {
  const [row] = await tx
    .select({ n: count() })
    .from(applications)
    .where(eq(applications.orgId, orgId))
  if ((row?.n ?? 0) >= quotas.applications) {
    throw new ProblemError(
      'quota-exceeded',
      `the org holds ${row?.n} applications, its quota is ${quotas.applications} (PATRONUS_QUOTA_APPLICATIONS); delete one first`,
      { quota: 'applications', limit: quotas.applications },
    )
  }
}

export async function assertScorerQuota(tx: DbOrTx, orgId: string, quotas: Quotas): Promise<void> {
  const [row] = await tx.select({ n: count() }).from(scorers).where(eq(scorers.orgId, orgId))
  if ((row?.n ?? 0) >= quotas.scorers) {
    throw new ProblemError(
      'quota-exceeded',
      `the org holds ${row?.n} scorer plugins, its quota is ${quotas.scorers} (PATRONUS_QUOTA_SCORERS); delete one first`,
      { quota: 'scorers', limit: quotas.scorers },
    )
  }
}

/**
 * Refuses `adding` more events when the org's events of the last minute (every source,
 * the control plane's own included) would pass the quota. Control-plane events are never
 * refused themselves: they record changes that already happened.
 */
export async function assertEventQuota(
  tx: DbOrTx,
  orgId: string,
  adding: number,
  now: number,
  quotas: Quotas,
): Promise<void> {
  // The last 60 s: an event recorded exactly WINDOW_MS ago has left (see Retry-After below).
  const since = idFloor(ID_PREFIX.event, now - WINDOW_MS + 1)
  const recent = and(eq(events.orgId, orgId), gte(events.id, since))
  const [row] = await tx.select({ n: count() }).from(events).where(recent)
  const n = row?.n ?? 0
  if (n + adding <= quotas.eventsPerMinute) return
  // Retry when the oldest event of the window has left it (a hint: others may arrive).
  const [oldest] = await tx
    .select({ id: events.id })
    .from(events)
    .where(recent)
    .orderBy(events.id)
    .limit(1)
  const leavesAt = oldest ? idTime(oldest.id) + WINDOW_MS : now + WINDOW_MS
  const retryAfterSeconds = Math.max(1, Math.ceil((leavesAt - now) / 1000))
  throw new ProblemError(
    'event-quota-exceeded',
    `the org recorded ${n} events in the last minute; ${adding} more would pass its quota of ${quotas.eventsPerMinute} per minute (PATRONUS_QUOTA_EVENTS_PER_MINUTE); retry in ${retryAfterSeconds} s`,
    { quota: 'eventsPerMinute', limit: quotas.eventsPerMinute, retryAfterSeconds },
  )
}
