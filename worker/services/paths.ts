/**
 * What an operator sees of a site's paths: their current state, the active path of each
 * traffic class and why, and metrics over time from the one-minute rollups.
 */
import { and, asc, eq, gte, inArray, lt } from 'drizzle-orm'
import { isoTime } from '../api/common'
import { activePaths, pathRollups, pathStates, policies, sites } from '../db/schema'
import { invalid } from '../errors'
import type { Actor, ServiceContext } from './context'
import { findSiteRow } from './sites'

/** A path whose last summary is older than this is shown as stale. */
const STALE_AFTER_MS = 60_000
export const MAX_POINTS_PER_PATH = 1440

export async function getSitePaths(ctx: ServiceContext, actor: Actor, siteId: string) {
  await findSiteRow(ctx.db, actor.orgId, siteId)
  const [states, active] = await Promise.all([
    ctx.db
      .select()
      .from(pathStates)
      .where(eq(pathStates.siteId, siteId))
      .orderBy(asc(pathStates.peerSiteId), asc(pathStates.localSlot), asc(pathStates.remoteSlot)),
    ctx.db
      .select()
      .from(activePaths)
      .where(eq(activePaths.siteId, siteId))
      .orderBy(asc(activePaths.class)),
  ])
  const peerIds = [...new Set([...states, ...active].map((r) => r.peerSiteId))]
  const classIds = [...new Set(active.map((a) => a.class))].filter((c) => c !== 'default')
  const [peerRows, policyRows] = await Promise.all([
    peerIds.length
      ? ctx.db
          .select({ id: sites.id, name: sites.name })
          .from(sites)
          .where(inArray(sites.id, peerIds))
      : [],
    classIds.length
      ? ctx.db
          .select({ id: policies.id, name: policies.name })
          .from(policies)
          .where(and(eq(policies.orgId, actor.orgId), inArray(policies.id, classIds)))
      : [],
  ])
  const peerName = new Map(peerRows.map((p) => [p.id, p.name]))
  const policyName = new Map(policyRows.map((p) => [p.id, p.name]))
  const now = ctx.clock.now()
  return {
    siteId,
    paths: states.map((s) => ({
      peerSiteId: s.peerSiteId,
      peerSiteName: peerName.get(s.peerSiteId) ?? null,
      localSlot: s.localSlot,
      remoteSlot: s.remoteSlot,
      state: s.state,
      rttMs: s.rttMs,
      jitterMs: s.jitterMs,
      lossPct: s.lossPct,
      mos: s.mos,
      at: isoTime(s.at)!,
      stale: now - s.at > STALE_AFTER_MS,
    })),
    activePaths: active.map((a) => ({
      class: a.class,
      className: a.class === 'default' ? 'default' : (policyName.get(a.class) ?? null),
      peerSiteId: a.peerSiteId,
      localSlot: a.localSlot,
      remoteSlot: a.remoteSlot,
      reason: a.reason,
      since: isoTime(a.since)!,
    })),
  }
}

export interface MetricsQuery {
  from: number
  to: number
  stepSeconds: number
}

/**
 * The step in ms of a rollup query, after checking its window: `to` after `from`, and at
 * most MAX_POINTS_PER_PATH points per series (what one response may carry). `series` names
 * the unit in the error ("path", "series").
 */
export function metricsStepMs(query: MetricsQuery, series: string): number {
  const step = query.stepSeconds * 1000
  if (query.to <= query.from) throw invalid([{ path: 'to', message: 'must be after from' }])
  if ((query.to - query.from) / step > MAX_POINTS_PER_PATH) {
    throw invalid([
      {
        path: 'step',
        message: `at most ${MAX_POINTS_PER_PATH} points per ${series}: use a larger step`,
      },
    ])
  }
  return step
}

export async function getPathMetrics(
  ctx: ServiceContext,
  actor: Actor,
  siteId: string,
  query: MetricsQuery,
) {
  await findSiteRow(ctx.db, actor.orgId, siteId)
  const step = metricsStepMs(query, 'path')
  const rows = await ctx.db
    .select()
    .from(pathRollups)
    .where(
      and(
        eq(pathRollups.siteId, siteId),
        gte(pathRollups.minute, query.from),
        lt(pathRollups.minute, query.to),
      ),
    )
    .orderBy(asc(pathRollups.minute))

  type Acc = {
    samples: number
    down: number
    rttSum: number
    rttCount: number
    rttMax: number | null
    jitterSum: number
    lossSum: number
    mosSum: number
    mosCount: number
    mosMin: number | null
  }
  const series = new Map<
    string,
    {
      path: { peerSiteId: string; localSlot: number; remoteSlot: number }
      buckets: Map<number, Acc>
    }
  >()
  for (const r of rows) {
    const key = `${r.peerSiteId}/${r.localSlot}/${r.remoteSlot}`
    let s = series.get(key)
    if (!s) {
      s = {
        path: { peerSiteId: r.peerSiteId, localSlot: r.localSlot, remoteSlot: r.remoteSlot },
        buckets: new Map(),
      }
      series.set(key, s)
    }
    const t = query.from + Math.floor((r.minute - query.from) / step) * step
    const a = s.buckets.get(t) ?? {
      samples: 0,
      down: 0,
      rttSum: 0,
      rttCount: 0,
      rttMax: null,
      jitterSum: 0,
      lossSum: 0,
      mosSum: 0,
      mosCount: 0,
      mosMin: null,
    }
    a.samples += r.samples
    a.down += r.downSamples
    a.rttSum += r.rttSum
    a.rttCount += r.rttCount
    if (r.rttMax !== null) a.rttMax = Math.max(a.rttMax ?? 0, r.rttMax)
    a.jitterSum += r.jitterSum
    a.lossSum += r.lossSum
    a.mosSum += r.mosSum
    a.mosCount += r.mosCount
    if (r.mosMin !== null) a.mosMin = Math.min(a.mosMin ?? 5, r.mosMin)
    s.buckets.set(t, a)
  }
  const round = (x: number) => Math.round(x * 1000) / 1000
  return {
    siteId,
    from: isoTime(query.from)!,
    to: isoTime(query.to)!,
    stepSeconds: query.stepSeconds,
    series: [...series.values()].map((s) => ({
      path: s.path,
      points: [...s.buckets.entries()].map(([t, a]) => ({
        t: isoTime(t)!,
        samples: a.samples,
        rttMs: a.rttCount ? round(a.rttSum / a.rttCount) : null,
        rttMaxMs: a.rttMax,
        jitterMs: round(a.jitterSum / a.samples),
        lossPct: round(a.lossSum / a.samples),
        mos: a.mosCount ? round(a.mosSum / a.mosCount) : null,
        mosMin: a.mosMin,
        downPct: round((100 * a.down) / a.samples),
      })),
    })),
  }
}
