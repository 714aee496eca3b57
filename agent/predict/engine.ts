/**
 * The engine with model distribution: a reconfig applies the desired state first (tunnels,
 * paths, decisions: forwarding never waits for a model), then asks the model manager for
 * the model it names, in the background. close stops the predictor and the manager before
 * the engine beneath.
 */
import type { Engine } from '../engine/engine'
import type { ModelManager } from './manager'
import type { Predictor } from './predictor'

export function withModels(engine: Engine, manager: ModelManager, predictor: Predictor): Engine {
  return {
    async reconfig(desired) {
      await engine.reconfig(desired)
      predictor.start()
      // Not awaited: a fetch may take seconds; refusals are logged by the manager.
      void manager.want(desired.model)
    },
    async close() {
      await predictor.stop()
      await manager.close()
      await engine.close()
    },
  }
}
