/**
 * The staged pipeline: computes the site plan once per reconfig and hands it to an ordered
 * list of stages, composed in one place (agent/cli/mesh.ts). The order is the order of
 * dependencies: the underlay routing before the tunnels that leave through it, the tunnels
 * before the monitor that probes them, the decisions before the data plane that follows them.
 *
 * Failure rules, the same for every stage:
 * - Reconfig applies the stages in order and stops at the first error (a later stage
 *   depends on the earlier ones). A stage that fails on its first apply ("start") is
 *   undone at once (stage.ts: `undo`), so a half-started stage leaves nothing behind; the
 *   error is rethrown and the daemon retries the whole reconfig, which starts the stage
 *   again. A stage that fails on a later apply keeps what it has (traffic keeps flowing
 *   on the previous plan).
 * - Close runs every stage in reverse order (started or not: a stage may hold sockets or an
 *   attached program from its construction), goes on past a failing one and throws one
 *   error naming all failures at the end. A throwing monitor close can no longer leave
 *   the tunnels up.
 * Calls are serialised: a reconfig never interleaves with another or with close.
 */
import type { DesiredState } from '../../protocol/agent'
import { planSite, type SitePlan, type SitePlanOptions } from '../plan/site-plan'
import type { Pipeline } from './pipeline'
import type { Stage } from './stage'

export interface StagedPipelineOptions {
  stages: readonly Stage[]
  plan: SitePlanOptions
  log?: (message: string) => void
}

export class PipelineError extends Error {
  constructor(
    message: string,
    readonly failures: { stage: string; error: unknown }[],
  ) {
    super(message)
    this.name = 'PipelineError'
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))

export interface StagedPipeline extends Pipeline {
  /** The plan of the last reconfig every stage applied. */
  readonly plan: SitePlan | undefined
}

export function createStagedPipeline(options: StagedPipelineOptions): StagedPipeline {
  const log = options.log ?? (() => {})
  const stages = [...options.stages]
  const names = new Set<string>()
  for (const s of stages) {
    if (names.has(s.name)) throw new Error(`pipeline: two stages named ${s.name}`)
    names.add(s.name)
  }
  /** Stages that applied at least once and were not closed since. */
  const started = new Set<Stage>()
  let applied: SitePlan | undefined
  /** Warnings of the last plan: a warning is logged when it appears, not on every poll. */
  let warned = new Set<string>()
  let closed = false
  let queue: Promise<void> = Promise.resolve()

  function serial(task: () => Promise<void>): Promise<void> {
    const result = queue.then(task)
    queue = result.catch(() => {})
    return result
  }

  async function reconfig(desired: DesiredState): Promise<void> {
    if (closed) throw new Error('pipeline: reconfig after close')
    const plan = planSite(desired, options.plan)
    for (const warning of plan.warnings) if (!warned.has(warning)) log(`plan: ${warning}`)
    warned = new Set(plan.warnings)
    const previous = applied
    for (const stage of stages) {
      try {
        await stage.apply(plan, previous)
        started.add(stage)
      } catch (error) {
        if (!started.has(stage) && stage.undo) {
          // Undo a stage that failed to start: nothing half-built stays on the host.
          await stage.undo().catch((undo: unknown) => {
            log(`${stage.name}: undo after a failed start: ${describe(undo)}`)
          })
        }
        throw new PipelineError(`${stage.name}: ${describe(error)}`, [{ stage: stage.name, error }])
      }
    }
    applied = plan
  }

  async function close(): Promise<void> {
    if (closed) return
    closed = true
    const failures: { stage: string; error: unknown }[] = []
    for (const stage of [...stages].reverse()) {
      try {
        await stage.close()
      } catch (error) {
        failures.push({ stage: stage.name, error })
      }
      started.delete(stage)
    }
    applied = undefined
    if (failures.length > 0) {
      const text = failures.map((f) => `${f.stage}: ${describe(f.error)}`).join('; ')
      throw new PipelineError(`pipeline close: ${text}`, failures)
    }
  }

  return {
    get plan() {
      return applied
    },
    reconfig: (desired) => serial(() => reconfig(desired)),
    close: () => serial(close),
  }
}
