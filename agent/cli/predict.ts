/**
 * Wiring of the failure predictor for `run`: a Predictor fed by the path monitor,
 * a ModelManager that fetches the model the desired state names (signed, from the control
 * plane) into `<state dir>/models/`, the engine wrapped so each reconfig asks for the model,
 * and the predictor's metrics. Without a path monitor (dry-run) there is nothing to predict.
 */
import { join } from 'node:path'
import type { Registry } from 'prom-client'
import type { AgentSigner } from '../../protocol/signing'
import type { Clock } from '../clock'
import { createModelFetcher, type FetchLike } from '../control'
import type { Engine } from '../engine/engine'
import type { Logger } from '../logger'
import type { PathMonitor } from '../pathmon'
import { ModelManager, Predictor, registerPredictorMetrics, withModels } from '../predict'

export interface PredictionWiring {
  engine: Engine
  /** Registers the predictor's metrics (call once, with the agent's registry). */
  register(registry: Registry): void
}

export function wirePrediction(options: {
  engine: Engine
  monitor: PathMonitor
  stateDir: string
  serverUrl: string
  /** The enrollment allowed an http:// serverUrl (see agent/cli/insecure.ts). */
  allowInsecureHttp: boolean
  signer: AgentSigner
  fetch: FetchLike
  clock: Clock
  logger: Logger
}): PredictionWiring {
  const { monitor, clock, logger } = options
  const predictor = new Predictor({
    clock,
    logger,
    // A path flagged (or cleared) moves classes at once, not at the next probe tick.
    onFlagsChanged: () => void monitor.evaluate(),
  })
  monitor.usePredictions(predictor)
  const manager = new ModelManager({
    target: predictor,
    cacheDir: join(options.stateDir, 'models'),
    fetchModel: createModelFetcher({
      serverUrl: options.serverUrl,
      allowInsecureHttp: options.allowInsecureHttp,
      signer: options.signer,
      fetch: options.fetch,
      clock,
    }),
    clock,
    logger,
  })
  return {
    engine: withModels(options.engine, manager, predictor),
    register: (registry) => registerPredictorMetrics(registry, predictor, manager),
  }
}
