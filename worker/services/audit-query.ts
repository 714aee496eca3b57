/** Reading the audit log: newest first is what an operator wants, but ids page forwards. */
import { and, desc, eq, lt } from 'drizzle-orm'
import type { AuditEntry } from '../api/audit'
import { isoTime } from '../api/common'
import { auditLog } from '../db/schema'
import type { Actor, ServiceContext } from './context'
import { decodeCursor, type PageRequest, toPage } from './pagination'

export async function listAudit(
  ctx: ServiceContext,
  actor: Actor,
  page: PageRequest & { objectId?: string | undefined; actor?: string | undefined },
) {
  const before = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.orgId, actor.orgId),
        before ? lt(auditLog.id, before) : undefined,
        page.objectId ? eq(auditLog.objectId, page.objectId) : undefined,
        page.actor ? eq(auditLog.actor, page.actor) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(page.limit + 1)
  return toPage(
    rows,
    page.limit,
    (row): AuditEntry => ({
      id: row.id,
      actor: row.actor,
      action: row.action,
      objectType: row.objectType,
      objectId: row.objectId,
      at: isoTime(row.at)!,
      details: row.details ?? null,
    }),
  )
}
