/**
 * Failure prediction as a pipeline stage, after the path monitor it reads from: apply
 * starts the predictor and asks the model manager for the model the plan's desired state
 * names, in the background (forwarding never waits for a model; refusals are logged by the
 * manager). Close stops the predictor, then the manager.
 */
import type { Stage } from '../pipeline/stage'
import type { ModelManager } from './manager'
import type { Predictor } from './predictor'

export function predictionStage(manager: ModelManager, predictor: Predictor): Stage {
  return {
    name: 'prediction',
    async apply(plan) {
      predictor.start()
      // Not awaited: a fetch may take seconds.
      void manager.want(plan.desired.model)
    },
    async close() {
      const errors: string[] = []
      await predictor.stop().catch((e: Error) => errors.push(`predictor: ${e.message}`))
      await manager.close().catch((e: Error) => errors.push(`models: ${e.message}`))
      if (errors.length > 0) throw new Error(errors.join('; '))
    },
  }
}
