/**
 * Wiring of scorer plugins for `run`: a ScorerManager whose plugins are fetched (signed, from
 * the control plane) into `<state dir>/scorers/`, handed to the path monitor (its scores go
 * into every evaluation), the engine wrapped so that each reconfig tells the manager what the
 * desired state names, and the metrics. Without a path monitor (dry-run) nothing is scored.
 */
import { join } from 'node:path'
import type { Registry } from 'prom-client'
import type { AgentSigner } from '../../protocol/signing'
import type { Clock } from '../clock'
import { createScorerFetcher, type FetchLike } from '../control'
import type { Engine } from '../engine/engine'
import type { Logger } from '../logger'
import type { CustomScores } from '../pathmon/custom-scores'
import { ScorerManager } from './manager'
import { registerScorerMetrics } from './metrics'
import { ScorerStore } from './store'

export interface ScorerWiring {
  engine: Engine
  /** Registers the scorers' metrics (call once, with the agent's registry). */
  register(registry: Registry): void
}

/**
 * A reconfig tells the manager first, so the monitor's evaluation at the end of the reconfig
 * already knows which scorers are needed (and falls back for those not loaded yet); the
 * plugins load in the background: forwarding never waits for a plugin. close stops the
 * engine (and so the monitor's evaluations) before the plugins.
 */
export function withScorers(engine: Engine, manager: ScorerManager): Engine {
  return {
    async reconfig(desired) {
      void manager.want(desired).catch(() => {})
      await engine.reconfig(desired)
    },
    async close() {
      await engine.close()
      await manager.close()
    },
  }
}

export function wireScorers(options: {
  engine: Engine
  monitor: { useCustomScores(scores: CustomScores): void; evaluate(): Promise<void> }
  stateDir: string
  serverUrl: string
  /** The enrollment allowed an http:// serverUrl (see agent/cli/insecure.ts). */
  allowInsecureHttp: boolean
  signer: AgentSigner
  fetch: FetchLike
  clock: Clock
  logger: Logger
}): ScorerWiring {
  const { monitor, clock, logger } = options
  const fetchScorer = createScorerFetcher({
    serverUrl: options.serverUrl,
    allowInsecureHttp: options.allowInsecureHttp,
    signer: options.signer,
    fetch: options.fetch,
    clock,
  })
  const manager = new ScorerManager({
    store: new ScorerStore(join(options.stateDir, 'scorers'), fetchScorer, logger),
    clock,
    logger,
    // A plugin ready (or gone) moves its classes at once, not at the next probe tick.
    onChange: () => void monitor.evaluate(),
  })
  monitor.useCustomScores(manager)
  return {
    engine: withScorers(options.engine, manager),
    register: (registry) => registerScorerMetrics(registry, manager),
  }
}
