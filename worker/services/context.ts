/**
 * What every service call needs: the database, the clock, and who is acting (for scoping
 * by org and for the audit log). Services take it as an argument and know nothing of HTTP.
 */
import type { Clock } from '../clock'
import type { Db } from '../db/client'
import type { RevisionNotifier } from './notifier'
import type { Quotas } from './quotas'

export type Role = 'admin' | 'operator' | 'viewer'

export interface Actor {
  /** Token id (or `agent:<id>`, `system`) recorded in the audit log. */
  id: string
  orgId: string
  role: Role
  instanceAdmin: boolean
}

export interface ServiceContext {
  db: Db
  clock: Clock
  /** Told which sites' config revisions a committed change bumped. */
  notifier?: RevisionNotifier
  /** Per-org quotas (services/quotas.ts); absent: DEFAULT_QUOTAS. */
  quotas?: Quotas
}

/** Announces bumped revisions; call only after the transaction has committed. */
export function announce(ctx: ServiceContext, siteIds: readonly string[]): void {
  if (siteIds.length > 0) ctx.notifier?.publish(siteIds)
}
