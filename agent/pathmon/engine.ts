/**
 * The mesh engine with its path monitor: one Engine for the daemon. A reconfig builds the
 * mesh first (tunnels must exist before their paths are probed), then the monitor; close
 * stops the monitor first (no route change races the teardown), then the mesh, which is
 * closed even when the monitor's close failed (that failure is thrown afterwards).
 */
import type { Engine } from '../engine/engine'
import type { PathMonitor } from './monitor'

export function withPathMonitor(mesh: Engine, monitor: PathMonitor): Engine {
  return {
    async reconfig(desired) {
      await mesh.reconfig(desired)
      await monitor.reconfig(desired)
    },
    async close() {
      let failure: unknown
      await monitor.close().catch((e: unknown) => {
        failure = e
      })
      await mesh.close()
      if (failure) throw failure
    },
  }
}
