/**
 * The audit log: one row per mutation, written in the same transaction as the mutation so
 * that the log never claims a change that did not happen, nor misses one that did.
 */
import { newId } from '../../protocol/ids'
import type { DbOrTx } from '../db/client'
import { auditLog } from '../db/schema'
import type { Actor } from './context'

export interface AuditEntry {
  action: string
  objectType: string
  objectId: string
  details?: Record<string, unknown>
}

export async function recordAudit(
  tx: DbOrTx,
  actor: Pick<Actor, 'id' | 'orgId'>,
  at: number,
  entry: AuditEntry,
  orgId = actor.orgId,
): Promise<void> {
  await tx.insert(auditLog).values({
    id: newId('audit', at),
    orgId,
    actor: actor.id,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId,
    at,
    details: entry.details ?? null,
  })
}
