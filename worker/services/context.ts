/**
 * What every service call needs: the database, the clock, and who is acting (for scoping
 * by org and for the audit log). Services take it as an argument and know nothing of HTTP.
 */
import type { Clock } from '../clock'
import type { Db } from '../db/client'

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
}
