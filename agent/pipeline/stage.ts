/**
 * One step of the staged pipeline: a part of the agent that turns the site plan into state
 * it owns (WireGuard interfaces, routes and rules, BFD sessions, classifier maps, HTB
 * trees, TUN devices). A stage receives the plan computed once per reconfig (never the
 * raw desired state, so no stage plans again) and the plan it applied before.
 *
 * Contract: `apply` converges from whatever the stage left before, whole or in part (a
 * stage that failed half way is applied again on the next reconfig); `close` removes what
 * the stage owns and is safe to call on a stage that never applied or failed to start.
 */
import type { SitePlan } from '../plan/site-plan'

export interface Stage {
  /** Short name for logs and errors: `tunnels`, `routing`, `monitor`, ... */
  readonly name: string
  apply(plan: SitePlan, previous: SitePlan | undefined): Promise<void>
  close(): Promise<void>
}
