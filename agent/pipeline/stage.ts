/**
 * One step of the staged pipeline: a part of the agent that turns the site plan into state
 * it owns (WireGuard interfaces, routes and rules, BFD sessions, classifier maps, HTB
 * trees, TUN devices). A stage receives the plan computed once per reconfig (never the
 * raw desired state, so no stage plans again) and the plan it applied before.
 *
 * Contract: `apply` converges from whatever the stage left before, whole or in part (a
 * stage that failed half way is applied again on the next reconfig); `close` removes what
 * the stage owns, is final (the monitor, classifier and optimizer stop their timers and
 * sockets for good) and is safe to call on a stage that never applied or failed to start.
 *
 * `undo` removes what a failed first apply left and keeps the stage able to start again.
 * The mesh stages have one (their close is reusable). The others do not: their half-built
 * state is harmless (sockets, timers, rules pointing at empty tables), the retry converges
 * it, and a final close there would stop them for the life of the agent.
 */
import type { SitePlan } from '../plan/site-plan'

export interface Stage {
  /** Short name for logs and errors: `tunnels`, `routing`, `monitor`, ... */
  readonly name: string
  apply(plan: SitePlan, previous: SitePlan | undefined): Promise<void>
  undo?(): Promise<void>
  close(): Promise<void>
}
