/**
 * Scorer plugins on /metrics: evaluations whose classes fell back to lowest-latency, by
 * scorer and reason (a counter: its rate is how often a plugin is not in charge), the time
 * of each batch round trip to a plugin (a histogram, budget included: a timeout lands in the
 * last finite bucket), and the version running per scorer.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { ScorerManager } from './manager'

/** Call buckets, seconds: 50 us to the default 50 ms budget and a little past it. */
export const CALL_BUCKETS = [5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1]

export function registerScorerMetrics(registry: Registry, manager: ScorerManager): void {
  const registers = [registry]
  const fallbacks = new Counter({
    name: 'patronus_agent_scorer_fallbacks_total',
    help: 'Evaluations in which a scorer plugin could not score, so its classes were scored lowest-latency',
    labelNames: ['scorer', 'reason'],
    registers,
  })
  const calls = new Histogram({
    name: 'patronus_agent_scorer_call_seconds',
    help: 'Round trip of one batch (every path that is up) to a scorer plugin in its sandbox',
    labelNames: ['scorer'],
    buckets: CALL_BUCKETS,
    registers,
  })
  new Gauge({
    name: 'patronus_agent_scorer_running',
    help: 'The scorer plugin version running per scorer name (1)',
    labelNames: ['scorer', 'id', 'sha256'],
    registers,
    collect() {
      this.reset()
      for (const r of manager.running()) this.set({ scorer: r.name, id: r.id, sha256: r.sha256 }, 1)
    },
  })
  manager.observe({
    call: (scorer, seconds) => calls.observe({ scorer }, seconds),
    fallback: (scorer, reason) => fallbacks.inc({ scorer, reason }),
  })
}
