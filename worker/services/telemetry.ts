/**
 * Path telemetry from agents: the latest state of each path, the active path of each
 * class, and one-minute rollups (sums, so any coarser step aggregates exactly). One agent
 * batch becomes one atomic libSQL batch (a single round trip to a remote server), with
 * samples pre-aggregated per path and minute.
 */
import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import type { PathKey, TelemetryBatch } from '../../protocol/telemetry'
import { activePaths, pathRollups, pathStates, sites, trafficRollups } from '../db/schema'
import { invalid } from '../errors'
import type { AgentRow } from './agent-auth'
import { clampTelemetry, ROLLUP_RETENTION_DAYS } from './agent-time'
import { trafficStatements } from './class-traffic'
import type { ServiceContext } from './context'

export { ROLLUP_RETENTION_DAYS }

const MINUTE = 60_000
/** One batch in this many also purges rollups past retention. */
const PURGE_ONE_IN = 100

const pathId = (p: PathKey) => `${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`

export async function assertPeersInOrg(ctx: ServiceContext, agent: AgentRow, peers: Set<string>) {
  if (peers.size === 0) return
  const known = await ctx.db
    .select({ id: sites.id })
    .from(sites)
    .where(and(eq(sites.orgId, agent.orgId), inArray(sites.id, [...peers])))
  const knownIds = new Set(known.map((r) => r.id))
  const unknown = [...peers].filter((id) => !knownIds.has(id))
  if (unknown.length > 0) {
    throw invalid([
      { path: 'path.peerSiteId', message: `unknown peer site(s): ${unknown.join(', ')}` },
    ])
  }
}

interface Bucket {
  path: PathKey
  minute: number
  samples: number
  downSamples: number
  rttSum: number
  rttCount: number
  rttMax: number | null
  jitterSum: number
  lossSum: number
  mosSum: number
  mosCount: number
  mosMin: number | null
}

function aggregate(batch: TelemetryBatch): Bucket[] {
  const buckets = new Map<string, Bucket>()
  for (const s of batch.samples) {
    const minute = Math.floor(s.at / MINUTE) * MINUTE
    const key = `${pathId(s.path)}@${minute}`
    let b = buckets.get(key)
    if (!b) {
      b = {
        path: s.path,
        minute,
        samples: 0,
        downSamples: 0,
        rttSum: 0,
        rttCount: 0,
        rttMax: null,
        jitterSum: 0,
        lossSum: 0,
        mosSum: 0,
        mosCount: 0,
        mosMin: null,
      }
      buckets.set(key, b)
    }
    b.samples++
    if (s.state === 'down') b.downSamples++
    if (s.rttMs !== null) {
      b.rttSum += s.rttMs
      b.rttCount++
      b.rttMax = Math.max(b.rttMax ?? 0, s.rttMs)
    }
    b.jitterSum += s.jitterMs ?? 0
    b.lossSum += s.lossPct
    if (s.mos !== null) {
      b.mosSum += s.mos
      b.mosCount++
      b.mosMin = Math.min(b.mosMin ?? 5, s.mos)
    }
  }
  return [...buckets.values()]
}

export async function ingestTelemetry(
  ctx: ServiceContext,
  agent: AgentRow,
  reported: TelemetryBatch,
) {
  // Agent clocks are not trusted past the window agent-time.ts defines.
  const { batch, adjustments } = clampTelemetry(reported, ctx.clock.now())
  const peers = new Set([...batch.samples, ...batch.activePaths].map((x) => x.path.peerSiteId))
  await assertPeersInOrg(ctx, agent, peers)
  const db = ctx.db
  const statements = []

  // Latest sample per path becomes its current state.
  const latest = new Map<string, TelemetryBatch['samples'][number]>()
  for (const s of batch.samples) {
    const prev = latest.get(pathId(s.path))
    if (!prev || prev.at <= s.at) latest.set(pathId(s.path), s)
  }
  for (const s of latest.values()) {
    const values = {
      siteId: agent.siteId,
      ...s.path,
      state: s.state,
      rttMs: s.rttMs,
      jitterMs: s.jitterMs,
      lossPct: s.lossPct,
      mos: s.mos,
      at: s.at,
    }
    statements.push(
      db
        .insert(pathStates)
        .values(values)
        .onConflictDoUpdate({
          target: [
            pathStates.siteId,
            pathStates.peerSiteId,
            pathStates.localSlot,
            pathStates.remoteSlot,
          ],
          set: {
            state: values.state,
            rttMs: values.rttMs,
            jitterMs: values.jitterMs,
            lossPct: values.lossPct,
            mos: values.mos,
            at: values.at,
          },
          // An older batch arriving late never overwrites a newer state.
          setWhere: sql`excluded.at >= ${pathStates.at}`,
        }),
    )
  }

  for (const b of aggregate(batch)) {
    statements.push(
      db
        .insert(pathRollups)
        .values({
          siteId: agent.siteId,
          ...b.path,
          minute: b.minute,
          samples: b.samples,
          downSamples: b.downSamples,
          rttSum: b.rttSum,
          rttCount: b.rttCount,
          rttMax: b.rttMax,
          jitterSum: b.jitterSum,
          lossSum: b.lossSum,
          mosSum: b.mosSum,
          mosCount: b.mosCount,
          mosMin: b.mosMin,
        })
        .onConflictDoUpdate({
          target: [
            pathRollups.siteId,
            pathRollups.peerSiteId,
            pathRollups.localSlot,
            pathRollups.remoteSlot,
            pathRollups.minute,
          ],
          set: {
            samples: sql`${pathRollups.samples} + excluded.samples`,
            downSamples: sql`${pathRollups.downSamples} + excluded.down_samples`,
            rttSum: sql`${pathRollups.rttSum} + excluded.rtt_sum`,
            rttCount: sql`${pathRollups.rttCount} + excluded.rtt_count`,
            rttMax: sql`max(coalesce(${pathRollups.rttMax}, excluded.rtt_max), coalesce(excluded.rtt_max, ${pathRollups.rttMax}))`,
            jitterSum: sql`${pathRollups.jitterSum} + excluded.jitter_sum`,
            lossSum: sql`${pathRollups.lossSum} + excluded.loss_sum`,
            mosSum: sql`${pathRollups.mosSum} + excluded.mos_sum`,
            mosCount: sql`${pathRollups.mosCount} + excluded.mos_count`,
            mosMin: sql`min(coalesce(${pathRollups.mosMin}, excluded.mos_min), coalesce(excluded.mos_min, ${pathRollups.mosMin}))`,
          },
        }),
    )
  }

  if (batch.activePaths.length > 0) {
    // The agent reports every class each time: its report replaces the previous one.
    statements.push(db.delete(activePaths).where(eq(activePaths.siteId, agent.siteId)))
    statements.push(
      db.insert(activePaths).values(
        batch.activePaths.map((a) => ({
          siteId: agent.siteId,
          class: a.class,
          ...a.path,
          reason: a.reason,
          since: a.since,
        })),
      ),
    )
  }
  if (batch.traffic) statements.push(...trafficStatements(db, agent.siteId, batch.traffic))
  if (Math.random() * PURGE_ONE_IN < 1) {
    const horizon = ctx.clock.now() - ROLLUP_RETENTION_DAYS * 86_400_000
    statements.push(db.delete(pathRollups).where(lt(pathRollups.minute, horizon)))
    statements.push(db.delete(trafficRollups).where(lt(trafficRollups.minute, horizon)))
  }
  if (statements.length > 0) {
    await db.batch(statements as [(typeof statements)[number], ...typeof statements])
  }
  return { samples: batch.samples.length, paths: latest.size, ...adjustments }
}
