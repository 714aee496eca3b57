/**
 * The recording pipeline of `run --dry-run`: changes nothing on the host, logs and
 * remembers what it would do on every reconfig (the difference from the previous desired
 * state). It lets the daemon run end to end without root and gives tests a pipeline whose
 * every input can be inspected.
 */
import type { DesiredState } from '../../protocol/agent'
import type { Logger } from '../logger'
import { type DesiredDiff, planReconfig } from './desired-diff'
import type { Pipeline } from './pipeline'

export class RecordingPipeline implements Pipeline {
  /** One plan per reconfig call, in order. */
  readonly plans: DesiredDiff[] = []
  private current: DesiredState | undefined
  private closed = false

  constructor(private readonly logger: Logger) {}

  /** The last desired state applied (what the host "has"). */
  get applied(): DesiredState | undefined {
    return this.current
  }

  get isClosed(): boolean {
    return this.closed
  }

  async reconfig(desired: DesiredState): Promise<void> {
    if (this.closed) throw new Error('reconfig: the pipeline is closed')
    const plan = planReconfig(this.current, desired)
    this.plans.push(plan)
    this.current = desired
    this.logger.info(
      {
        revision: plan.revision,
        peersAdded: plan.added,
        peersRemoved: plan.removed,
        peersChanged: plan.changed,
        routes: plan.routes.length,
      },
      'reconfig (recording only: no host changes)',
    )
    for (const route of plan.routes) {
      this.logger.debug(route, 'would route prefix to peer site')
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.logger.info({}, 'pipeline closed')
  }
}
