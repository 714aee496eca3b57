/**
 * Classifier traffic per site (docs/qos.md): the agents report what their eBPF classifier saw
 * per policy class and per application as deltas with each telemetry batch; they are summed
 * into one-minute rollups (in the batch's own libSQL batch) and read back as series at any
 * step, with totals, for operators.
 */
import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm'
import type { ClassTraffic } from '../../protocol/telemetry'
import { isoTime } from '../api/common'
import type { Db } from '../db/client'
import { policies, trafficRollups } from '../db/schema'
import type { Actor, ServiceContext } from './context'
import { type MetricsQuery, metricsStepMs } from './paths'
import { findSiteRow } from './sites'

const MINUTE = 60_000

/** Upserts adding the batch's deltas to the minute of `traffic.at`; none for zero deltas. */
export function trafficStatements(db: Db, siteId: string, traffic: ClassTraffic) {
  const minute = Math.floor(traffic.at / MINUTE) * MINUTE
  const rows = [
    ...traffic.classes.map((c) => ({ kind: 'class' as const, name: c.class, ...c })),
    ...traffic.applications.map((a) => ({
      kind: 'application' as const,
      name: a.application,
      ...a,
    })),
  ].filter((r) => r.packets > 0 || r.bytes > 0)
  return rows.map((r) =>
    db
      .insert(trafficRollups)
      .values({ siteId, kind: r.kind, name: r.name, minute, packets: r.packets, bytes: r.bytes })
      .onConflictDoUpdate({
        target: [
          trafficRollups.siteId,
          trafficRollups.kind,
          trafficRollups.name,
          trafficRollups.minute,
        ],
        set: {
          packets: sql`${trafficRollups.packets} + excluded.packets`,
          bytes: sql`${trafficRollups.bytes} + excluded.bytes`,
        },
      }),
  )
}

interface Point {
  packets: number
  bytes: number
}

export async function getSiteTraffic(
  ctx: ServiceContext,
  actor: Actor,
  siteId: string,
  query: MetricsQuery,
) {
  await findSiteRow(ctx.db, actor.orgId, siteId)
  const step = metricsStepMs(query, 'series')
  const rows = await ctx.db
    .select()
    .from(trafficRollups)
    .where(
      and(
        eq(trafficRollups.siteId, siteId),
        gte(trafficRollups.minute, query.from),
        lt(trafficRollups.minute, query.to),
      ),
    )
    .orderBy(asc(trafficRollups.minute))
  const series = new Map<
    string,
    { kind: 'class' | 'application'; name: string; points: Map<number, Point> }
  >()
  for (const r of rows) {
    const key = `${r.kind}:${r.name}`
    let s = series.get(key)
    if (!s) {
      s = { kind: r.kind, name: r.name, points: new Map() }
      series.set(key, s)
    }
    const t = query.from + Math.floor((r.minute - query.from) / step) * step
    const p = s.points.get(t) ?? { packets: 0, bytes: 0 }
    p.packets += r.packets
    p.bytes += r.bytes
    s.points.set(t, p)
  }
  const classIds = [...series.values()]
    .filter((s) => s.kind === 'class' && s.name !== 'default')
    .map((s) => s.name)
  const names = classIds.length
    ? await ctx.db
        .select({ id: policies.id, name: policies.name })
        .from(policies)
        .where(and(eq(policies.orgId, actor.orgId), inArray(policies.id, classIds)))
    : []
  const policyName = new Map(names.map((p) => [p.id, p.name]))
  const out = (s: { points: Map<number, Point> }) => {
    const points = [...s.points.entries()].map(([t, p]) => ({ t: isoTime(t)!, ...p }))
    return {
      packets: points.reduce((a, p) => a + p.packets, 0),
      bytes: points.reduce((a, p) => a + p.bytes, 0),
      points,
    }
  }
  const list = [...series.values()].sort((a, b) => a.name.localeCompare(b.name))
  return {
    siteId,
    from: isoTime(query.from)!,
    to: isoTime(query.to)!,
    stepSeconds: query.stepSeconds,
    classes: list
      .filter((s) => s.kind === 'class')
      .map((s) => ({
        class: s.name,
        className: s.name === 'default' ? 'default' : (policyName.get(s.name) ?? null),
        ...out(s),
      })),
    applications: list
      .filter((s) => s.kind === 'application')
      .map((s) => ({ application: s.name, ...out(s) })),
  }
}
