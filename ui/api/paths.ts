/** Path names and health, shared by the overview map and the site pages. */
import type { MetricPoint, PathKey, PathMetrics, PathView } from './types'

export type Health = 'up' | 'degraded' | 'down' | 'stale'

/** Loss or latency past these is "degraded" on the map (a display choice, not an SLA). */
export const DEGRADED_LOSS_PCT = 2
export const DEGRADED_RTT_MS = 150

export function pathHealth(path: PathView): Health {
  if (path.stale) return 'stale'
  if (path.state === 'down') return 'down'
  if (path.lossPct >= DEGRADED_LOSS_PCT || (path.rttMs ?? 0) >= DEGRADED_RTT_MS) return 'degraded'
  return 'up'
}

/**
 * The health of a pair of sites: up when every path is, degraded when traffic still flows
 * but some path is lossy, slow or down, down when no path is up (stale when none reports).
 */
export function pairHealth(healths: Health[]): Health {
  if (healths.length > 0 && healths.every((h) => h === 'up')) return 'up'
  if (healths.some((h) => h === 'up' || h === 'degraded')) return 'degraded'
  return healths.includes('down') ? 'down' : 'stale'
}

export const pathId = (p: PathKey) => `${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`

export function pathLabel(
  p: PathKey,
  peerName: string | null | undefined,
  localNames: Map<number, string>,
): string {
  const local = localNames.get(p.localSlot) ?? `uplink ${p.localSlot}`
  return `${local} → ${peerName ?? p.peerSiteId} #${p.remoteSlot}`
}

export type MetricName = 'rttMs' | 'jitterMs' | 'lossPct' | 'mos'

/** Aligns every path's points on one time axis (seconds), null where a path has none. */
export function alignSeries(metrics: PathMetrics, metric: MetricName) {
  const times = [...new Set(metrics.series.flatMap((s) => s.points.map((p) => Date.parse(p.t))))]
    .sort((a, b) => a - b)
    .map((ms) => ms / 1000)
  const series = metrics.series.map((s) => {
    const byTime = new Map<number, MetricPoint>(s.points.map((p) => [Date.parse(p.t) / 1000, p]))
    return { path: s.path, values: times.map((t) => byTime.get(t)?.[metric] ?? null) }
  })
  return { times, series }
}
