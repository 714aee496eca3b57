/**
 * An event as the API and webhook payloads show it. Apart from events.ts so that the
 * alert evaluator, which events.ts calls, can render events without importing it back.
 */
import { isoTime } from '../api/common'
import type { events } from '../db/schema'

export type EventRow = typeof events.$inferSelect

export const toEventView = (row: EventRow) => ({
  id: row.id,
  siteId: row.siteId,
  type: row.type,
  severity: row.severity,
  at: isoTime(row.at)!,
  source: row.source,
  details: row.details,
})
