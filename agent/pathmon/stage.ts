/**
 * The path monitor as a pipeline stage. It comes after the tunnels and the overlay routes
 * (tunnels must exist before their paths are probed) and before the classifier, the data
 * plane and the optimizer (they follow its decisions). On close it stops first among
 * those below it, so no route change races the teardown of the tunnels.
 */
import type { Stage } from '../pipeline/stage'
import type { PathMonitor } from './monitor'

export function monitorStage(monitor: PathMonitor): Stage {
  return {
    name: 'monitor',
    apply: (plan) => monitor.reconfig(plan),
    close: () => monitor.close(),
  }
}
