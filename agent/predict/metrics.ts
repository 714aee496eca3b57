/**
 * The predictor on /metrics: P per path (pulled at scrape time), the model in use (an info
 * gauge: 1 with its id and hash, or model="none"), the last refusal, and the inference time
 * of every 100 ms round (a histogram: the budget is < 1 ms for 64 paths, docs/benchmarks.md).
 */
import { Gauge, Histogram, type Registry } from 'prom-client'
import type { ModelManager } from './manager'
import type { Predictor } from './predictor'

/** Inference buckets, seconds: 10 us to 10 ms. */
export const INFERENCE_BUCKETS = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2]

export function registerPredictorMetrics(
  registry: Registry,
  predictor: Predictor,
  manager: ModelManager,
): void {
  const registers = [registry]
  new Gauge({
    name: 'patronus_agent_path_failure_probability',
    help: 'P(failure or SLA violation within the model horizon) per path, from the loaded model',
    labelNames: ['peer_site', 'local_slot', 'remote_slot'],
    registers,
    collect() {
      this.reset()
      for (const [key, p] of predictor.probabilities()) {
        const [peer = '', local = '', remote = ''] = key.split('/')
        this.set({ peer_site: peer, local_slot: local, remote_slot: remote }, p)
      }
    },
  })
  new Gauge({
    name: 'patronus_agent_path_predicted_degradation',
    help: 'Paths whose failure probability is at or over the model threshold (1 = flagged)',
    labelNames: ['peer_site', 'local_slot', 'remote_slot'],
    registers,
    collect() {
      this.reset()
      for (const [key] of predictor.probabilities()) {
        const [peer = '', local = '', remote = ''] = key.split('/')
        this.set(
          { peer_site: peer, local_slot: local, remote_slot: remote },
          predictor.flagged(key) ? 1 : 0,
        )
      }
    },
  })
  new Gauge({
    name: 'patronus_agent_prediction_model_info',
    help: 'The failure-prediction model in use (1), or model="none" when reactive only',
    labelNames: ['model', 'sha256', 'threshold'],
    registers,
    collect() {
      this.reset()
      const m = predictor.model
      if (m) this.set({ model: m.id, sha256: m.sha256, threshold: String(m.threshold) }, 1)
      else this.set({ model: 'none', sha256: '', threshold: '' }, 1)
    },
  })
  new Gauge({
    name: 'patronus_agent_prediction_model_refused',
    help: 'The model the desired state names was refused (1; the log says why), else 0',
    labelNames: ['model'],
    registers,
    collect() {
      this.reset()
      const s = manager.status
      if (s.state === 'refused') this.set({ model: s.id }, 1)
    },
  })
  const inference = new Histogram({
    name: 'patronus_agent_prediction_inference_seconds',
    help: 'Model run time of one scoring round (every path in one batch)',
    labelNames: [],
    buckets: INFERENCE_BUCKETS,
    registers,
  })
  predictor.onRound((ms) => inference.observe(ms / 1000))
}
