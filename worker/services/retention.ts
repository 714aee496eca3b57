/**
 * Retention (docs/security.md, finding 5): events, finished webhook deliveries and the audit log
 * are deleted once older than their configured age, so a busy or hostile agent cannot grow the
 * database for ever. Runs from the periodic pass (Node: every alert evaluation, 15 s;
 * Workers: the cron trigger).
 *
 * Deletes go in bounded batches, each its own statement, so other writers get the database
 * between them; a pass stops after MAX_BATCHES per table and the next pass goes on. Age is
 * the time of recording, which the time-ordered ids carry (`<prefix>_<12 hex ms>...`): the
 * deletes walk the primary key from its low end, no extra index needed. A delivery is kept
 * while pending, and otherwise until its completion is older than the cut-off.
 */
import { and, asc, inArray, lt, ne, type SQL } from 'drizzle-orm'
import { ID_PREFIX, idFloor } from '../../protocol/ids'
import type { Db } from '../db/client'
import { auditLog, events, webhookDeliveries } from '../db/schema'

export interface RetentionConfig {
  /** PATRONUS_RETENTION_EVENTS_DAYS */
  eventsDays: number
  /** PATRONUS_RETENTION_DELIVERIES_DAYS (finished deliveries only) */
  deliveriesDays: number
  /** PATRONUS_RETENTION_AUDIT_DAYS */
  auditDays: number
}

export const DEFAULT_RETENTION: RetentionConfig = {
  eventsDays: 30,
  deliveriesDays: 7,
  auditDays: 365,
}

const DAY_MS = 86_400_000
/** Rows per DELETE: a few milliseconds of the writer each. */
export const RETENTION_BATCH = 500
/** Batches per table per pass: at most 10,000 rows; the rest waits for the next pass. */
const MAX_BATCHES = 20

export interface RetentionResult {
  events: number
  deliveries: number
  audit: number
}

type Table = typeof events | typeof auditLog | typeof webhookDeliveries

/** Deletes rows matching `old`, oldest first, `batch` per statement; returns how many. */
async function deleteInBatches(db: Db, table: Table, old: SQL | undefined, batch: number) {
  let deleted = 0
  for (let i = 0; i < MAX_BATCHES; i++) {
    const oldest = db
      .select({ id: table.id })
      .from(table)
      .where(old)
      .orderBy(asc(table.id))
      .limit(batch)
    const result = await db.delete(table).where(inArray(table.id, oldest))
    deleted += result.rowsAffected
    if (result.rowsAffected < batch) break
  }
  return deleted
}

export async function applyRetention(
  db: Db,
  now: number,
  config: RetentionConfig = DEFAULT_RETENTION,
  batch = RETENTION_BATCH,
): Promise<RetentionResult> {
  const cutoff = (days: number) => now - days * DAY_MS
  const deliveriesBefore = cutoff(config.deliveriesDays)
  return {
    events: await deleteInBatches(
      db,
      events,
      lt(events.id, idFloor(ID_PREFIX.event, cutoff(config.eventsDays))),
      batch,
    ),
    deliveries: await deleteInBatches(
      db,
      webhookDeliveries,
      // Completed before the cut-off implies created before it: the id bound is exact.
      and(
        lt(webhookDeliveries.id, idFloor('msg', deliveriesBefore)),
        ne(webhookDeliveries.status, 'pending'),
        lt(webhookDeliveries.completedAt, deliveriesBefore),
      ),
      batch,
    ),
    audit: await deleteInBatches(
      db,
      auditLog,
      lt(auditLog.id, idFloor(ID_PREFIX.audit, cutoff(config.auditDays))),
      batch,
    ),
  }
}
