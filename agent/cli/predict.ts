/**
 * Wiring of the failure predictor for `run`: a Predictor fed by the path monitor, a
 * ModelManager that fetches the model the desired state names (signed, from the control
 * plane) into `<state dir>/models/`, the pipeline stage that asks for the model on each
 * reconfig, and the predictor's metrics. Without a path monitor (dry-run) there is nothing
 * to predict.
 */
import { join } from 'node:path'
import type { Registry } from 'prom-client'
import type { AgentSigner } from '../../protocol/signing'
import type { Clock } from '../clock'
import { createModelFetcher, type FetchLike } from '../control'
import type { Logger } from '../logger'
import type { PathMonitor } from '../pathmon'
import type { Stage } from '../pipeline/stage'
import { ModelManager, Predictor, predictionStage, registerPredictorMetrics } from '../predict'

export interface PredictionWiring {
  stage: Stage
  /** Registers the predictor's metrics (call once, with the agent's registry). */
  register(registry: Registry): void
}

/** Where the agent's artifacts (models, scorer plugins) come from and are cached. */
export interface ArtifactSource {
  stateDir: string
  serverUrl: string
  /** The enrollment allowed an http:// serverUrl (see agent/cli/insecure.ts). */
  allowInsecureHttp: boolean
  signer: AgentSigner
  fetch: FetchLike
}

export function wirePrediction(
  monitor: PathMonitor,
  options: ArtifactSource,
  clock: Clock,
  logger: Logger,
): PredictionWiring {
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
    stage: predictionStage(manager, predictor),
    register: (registry) => registerPredictorMetrics(registry, predictor, manager),
  }
}
