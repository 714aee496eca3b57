/**
 * The mesh's three stages in their order: routing (uplink tables, rules, forwarding),
 * tunnels (WireGuard interfaces), overlay (mesh-table routes). The running agent adds the
 * monitor and the rest after them (agent/cli/mesh.ts); the mesh lab runs them alone.
 */
import type { Stage } from '../pipeline/stage'
import type { Sysctl } from '../routing/sysctl'
import type { Routing } from '../routing/types'
import type { WireGuardBackend } from '../tunnels/types'
import { createOverlayStage } from './overlay-stage'
import { createRoutingStage } from './routing-stage'
import { createTunnelsStage } from './tunnels-stage'

export { createOverlayStage, meshRoutes } from './overlay-stage'
export { createRoutingStage, isMeshRule } from './routing-stage'
export { createTunnelsStage } from './tunnels-stage'

export interface MeshStagesOptions {
  backend: WireGuardBackend
  routing: Routing
  /** The site's WireGuard private key (base64); it never leaves the site. */
  privateKey: string
  interfacePrefix: string
  sysctl?: Sysctl | undefined
  log?: (message: string) => void
  /** The path monitor's current tunnel to a peer (see OverlayStageOptions). */
  routeDevice?: ((peerSiteId: string) => string | undefined) | undefined
}

export function meshStages(options: MeshStagesOptions): Stage[] {
  const { routing, sysctl } = options
  const log = options.log ?? (() => {})
  return [
    createRoutingStage({ routing, sysctl, log }),
    createTunnelsStage({
      backend: options.backend,
      routing,
      sysctl,
      privateKey: options.privateKey,
      interfacePrefix: options.interfacePrefix,
      log,
    }),
    createOverlayStage({ routing, routeDevice: options.routeDevice }),
  ]
}
