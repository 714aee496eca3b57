/**
 * The org's topology for the overview map: one node per site, one edge per pair of sites
 * that report paths to each other, with the pair's health over the paths either end reports.
 */
import { type Health, pairHealth, pathHealth } from './paths'
import type { Site, SitePaths } from './types'

export interface TopologyEdge {
  id: string
  source: string
  target: string
  health: Health
  /** Lowest latency over the pair's up paths, ms. */
  rttMs: number | null
  paths: number
  down: number
}

export interface Topology {
  nodes: Site[]
  edges: TopologyEdge[]
}

export function buildTopology(sites: Site[], reports: SitePaths[]): Topology {
  const known = new Set(sites.map((s) => s.id))
  const pairs = new Map<string, { a: string; b: string; healths: Health[]; rtts: number[] }>()
  for (const report of reports) {
    for (const path of report.paths) {
      if (!known.has(path.peerSiteId) || path.peerSiteId === report.siteId) continue
      const [a, b] = [report.siteId, path.peerSiteId].sort() as [string, string]
      const key = `${a}|${b}`
      const pair = pairs.get(key) ?? { a, b, healths: [], rtts: [] }
      const health = pathHealth(path)
      pair.healths.push(health)
      if (path.rttMs !== null && health !== 'down' && health !== 'stale') pair.rtts.push(path.rttMs)
      pairs.set(key, pair)
    }
  }
  const edges = [...pairs.entries()].map(([id, p]) => ({
    id,
    source: p.a,
    target: p.b,
    health: pairHealth(p.healths),
    rttMs: p.rtts.length ? Math.min(...p.rtts) : null,
    paths: p.healths.length,
    down: p.healths.filter((h) => h === 'down').length,
  }))
  return { nodes: sites, edges }
}
