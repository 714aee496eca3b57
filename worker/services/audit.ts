/**
 * The audit log: one row per mutation, written in the same transaction as the mutation so
 * that the log never claims a change that did not happen, nor misses one that did.
 */
import { newId } from '../../protocol/ids'
import type { EventType } from '../../protocol/telemetry'
import type { DbOrTx } from '../db/client'
import { auditLog } from '../db/schema'
import type { Actor } from './context'
import { recordEvent } from './events'

export interface AuditEntry {
  action: string
  objectType: string
  objectId: string
  details?: Record<string, unknown>
}

/**
 * Mutations that operators want as events too (alerts, webhooks): mapped here so that
 * every such change raises its event in the same transaction, from one place.
 */
const EVENT_OF_ACTION: Partial<Record<string, EventType>> = {
  'site.created': 'site.created',
  'site.deleted': 'site.deleted',
  'agent.enrolled': 'agent.enrolled',
  'agent.revoked': 'agent.revoked',
  'policy.created': 'policy.changed',
  'policy.updated': 'policy.changed',
  'policy.deleted': 'policy.changed',
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
  const eventType = EVENT_OF_ACTION[entry.action]
  if (eventType) {
    const siteId =
      entry.objectType === 'site' ? entry.objectId : ((entry.details?.siteId as string) ?? null)
    await recordEvent(
      tx,
      {
        orgId,
        siteId,
        type: eventType,
        at,
        source: 'control-plane',
        details: {
          action: entry.action,
          objectType: entry.objectType,
          objectId: entry.objectId,
          actor: actor.id,
          ...entry.details,
        },
      },
      at,
    )
  }
}
