/**
 * The read-only half of handling a stored event: which of the org's event rules it
 * matches (type, severity, site ids, label selector), whether it closes an incident, and
 * whether a silence mutes what it opens. Loaded and decided before the event's write
 * transaction wherever the caller can (agent event batches, operator events), so that
 * transaction holds the single writer only for the writes (on-event.ts).
 */
import { and, eq, gt, inArray, lte } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import {
  type alertRules,
  type events,
  alertRules as rulesTable,
  silences,
  sites,
} from '../../db/schema'
import { OPENED_BY } from './pairing'
import { siteFilterMatches } from './selector'

type EventRow = typeof events.$inferSelect
export type RuleRow = typeof alertRules.$inferSelect
type SilenceRow = typeof silences.$inferSelect

export interface SiteInfo {
  name: string
  labels: Record<string, string>
}

/** What an org's event alerting looks like at one instant. */
export interface AlertingSnapshot {
  orgId: string
  rules: RuleRow[]
  sites: Map<string, SiteInfo>
  /** Silences active at the snapshot's time. */
  silences: SilenceRow[]
}

export interface RulePlan {
  rule: RuleRow
  /** The event closes this rule's open incident (path.up after path.down...). */
  close: boolean
  /** The event opens (or joins) an incident of this rule. */
  open: boolean
  /** A new alert would be muted by an active silence. */
  silenced: boolean
}

export interface EventPlan {
  site: SiteInfo | null
  rules: RulePlan[]
}

export const RANK = { info: 0, warning: 1, critical: 2 } as const

export async function loadAlerting(
  db: DbOrTx,
  orgId: string,
  siteIds: readonly (string | null)[],
  now: number,
): Promise<AlertingSnapshot> {
  const ids = [...new Set(siteIds.filter((id): id is string => id !== null))]
  const rules = await db
    .select()
    .from(rulesTable)
    .where(
      and(eq(rulesTable.orgId, orgId), eq(rulesTable.enabled, true), eq(rulesTable.kind, 'event')),
    )
  const siteRows =
    ids.length === 0
      ? []
      : await db
          .select({ id: sites.id, name: sites.name, labels: sites.labels })
          .from(sites)
          .where(inArray(sites.id, ids))
  // Silences matter only when some rule could open an alert.
  const active =
    rules.length === 0
      ? []
      : await db
          .select()
          .from(silences)
          .where(
            and(eq(silences.orgId, orgId), lte(silences.startsAt, now), gt(silences.endsAt, now)),
          )
  return {
    orgId,
    rules,
    sites: new Map(siteRows.map((s) => [s.id, { name: s.name, labels: s.labels }])),
    silences: active,
  }
}

/** Whether an active silence mutes an alert of `ruleId` at `siteId` (labels given). */
export function silencedBy(
  active: readonly SilenceRow[],
  ruleId: string,
  siteId: string | null,
  labels: Record<string, string> | null,
): boolean {
  return active.some(
    (s) => (s.ruleId === null || s.ruleId === ruleId) && siteFilterMatches(s, siteId, labels),
  )
}

/** Pure: what the event does to each rule of the snapshot (rules it leaves alone omitted). */
export function planEvent(snapshot: AlertingSnapshot, row: EventRow): EventPlan {
  const site = row.siteId ? (snapshot.sites.get(row.siteId) ?? null) : null
  const labels = site?.labels ?? null
  const opener = OPENED_BY[row.type]
  const plans: RulePlan[] = []
  for (const rule of snapshot.rules) {
    const close = opener !== undefined && rule.eventTypes.includes(opener)
    const open = rule.eventTypes.includes(row.type) && RANK[row.severity] >= RANK[rule.minSeverity]
    if (!close && !open) continue
    if (!siteFilterMatches(rule, row.siteId, labels)) continue
    const silenced = open && silencedBy(snapshot.silences, rule.id, row.siteId, labels)
    plans.push({ rule, close, open, silenced })
  }
  return { site, rules: plans }
}
