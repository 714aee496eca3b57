/**
 * Wiring of scorer plugins for `run`: a ScorerManager whose plugins are fetched (signed, from
 * the control plane) into `<state dir>/scorers/`, handed to the path monitor (its scores go
 * into every evaluation), the pipeline stage that tells the manager on each reconfig what the
 * desired state names, and the metrics. Without a path monitor (dry-run) nothing is scored.
 */
import { join } from 'node:path'
import type { Registry } from 'prom-client'
import type { ArtifactSource } from '../cli/predict'
import type { Clock } from '../clock'
import { createScorerFetcher } from '../control'
import type { Logger } from '../logger'
import type { CustomScores } from '../pathmon/custom-scores'
import type { Stage } from '../pipeline/stage'
import { ScorerManager } from './manager'
import { registerScorerMetrics } from './metrics'
import { ScorerStore } from './store'

export interface ScorerWiring {
  stage: Stage
  /** Registers the scorers' metrics (call once, with the agent's registry). */
  register(registry: Registry): void
}

/**
 * The stage sits before the path monitor: its apply tells the manager first, so the
 * monitor's evaluation at the end of its own apply already knows which scorers are needed
 * (and falls back for those not loaded yet); the plugins load in the background (forwarding
 * never waits for a plugin). Closing in reverse stops the monitor, and so its evaluations,
 * before the plugins.
 */
export function scorersStage(manager: ScorerManager): Stage {
  return {
    name: 'scorers',
    async apply(plan) {
      void manager.want(plan.desired).catch(() => {})
    },
    close: () => manager.close(),
  }
}

export function wireScorers(
  monitor: { useCustomScores(scores: CustomScores): void; evaluate(): Promise<void> },
  source: ArtifactSource,
  clock: Clock,
  logger: Logger,
): ScorerWiring {
  const fetchScorer = createScorerFetcher({
    serverUrl: source.serverUrl,
    allowInsecureHttp: source.allowInsecureHttp,
    signer: source.signer,
    fetch: source.fetch,
    clock,
  })
  const manager = new ScorerManager({
    store: new ScorerStore(join(source.stateDir, 'scorers'), fetchScorer, logger),
    clock,
    logger,
    // A plugin ready (or gone) moves its classes at once, not at the next probe tick.
    onChange: () => void monitor.evaluate(),
  })
  monitor.useCustomScores(manager)
  return {
    stage: scorersStage(manager),
    register: (registry) => registerScorerMetrics(registry, manager),
  }
}
