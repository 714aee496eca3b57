/**
 * The overlay stage: the mesh table's routes to every peer prefix and overlay address,
 * over the default class's path. The plan names the default path (lowest local slot, then
 * the peer's lowest slot); when the path monitor already chose another tunnel for a peer
 * (`routeDevice`), the route keeps that choice, so a reconfig does not bounce traffic back
 * to the plan's default path between two evaluations.
 */

import type { Stage } from '../pipeline/stage'
import { TABLES } from '../plan/numbers'
import type { SitePlan } from '../plan/site-plan'
import type { RouteSpec, Routing } from '../routing/types'
import { reconcileRoutes } from './reconcile'

export interface OverlayStageOptions {
  routing: Routing
  /**
   * The tunnel currently carrying the default class to a peer (the path monitor's choice).
   * Ignored when it names no planned interface holding that peer.
   */
  routeDevice?: ((peerSiteId: string) => string | undefined) | undefined
}

const meshTables = [TABLES.mesh.base]

/** The plan's mesh routes, each moved to the path monitor's device when it has one. */
export function meshRoutes(
  plan: SitePlan,
  routeDevice?: (peerSiteId: string) => string | undefined,
): RouteSpec[] {
  const holds = new Set<string>()
  const peerOf = new Map<string, string>()
  for (const iface of plan.mesh.interfaces) {
    for (const p of iface.peers) {
      holds.add(`${iface.name} ${p.siteId}`)
      for (const a of p.allowedIps) peerOf.set(a, p.siteId)
    }
  }
  return plan.mesh.routes.map((r) => {
    const peer = peerOf.get(r.dst)
    const dev = peer ? routeDevice?.(peer) : undefined
    const use = dev && holds.has(`${dev} ${peer}`) ? dev : r.dev
    return { dst: r.dst, table: r.table, dev: use }
  })
}

export function createOverlayStage(options: OverlayStageOptions): Stage {
  const stage: Stage = {
    name: 'overlay',
    async apply(plan) {
      await reconcileRoutes(options.routing, meshRoutes(plan, options.routeDevice), meshTables)
    },
    async close() {
      await reconcileRoutes(options.routing, [], meshTables)
    },
  }
  return { ...stage, undo: stage.close }
}
