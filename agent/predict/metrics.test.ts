/**
 * The predictor's /metrics: P and the flag per path, the model in use (or none), a refused
 * model, and the inference-time histogram fed by every round.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../clock/fake'
import { silentLogger } from '../logger'
import { FEATURE_COUNT } from './features'
import { ModelManager } from './manager'
import { registerPredictorMetrics } from './metrics'
import type { PredictionModel } from './model'
import { Predictor } from './predictor'

const fixed = (p: number[]): PredictionModel => ({
  id: 'fake-model',
  sha256: 'f'.repeat(64),
  threshold: 0.5,
  horizonMs: 5_000,
  score: async (features, rows) => {
    expect(features.length).toBeGreaterThanOrEqual(rows * FEATURE_COUNT)
    return Float32Array.from(p.slice(0, rows))
  },
  release: async () => {},
})

describe('predictor metrics', () => {
  it('exposes P and flags per path, the model, refusals and inference time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patronus-metrics-'))
    try {
      const clock = new FakeClock(Date.UTC(2026, 0, 1))
      const predictor = new Predictor({ clock, logger: silentLogger() })
      const manager = new ModelManager({
        target: predictor,
        cacheDir: dir,
        fetchModel: async () => {
          throw new Error('fetch model m2: Not Found (HTTP 404)')
        },
        clock,
        logger: silentLogger(),
      })
      const registry = new Registry()
      registerPredictorMetrics(registry, predictor, manager)
      expect(await registry.metrics()).toContain(
        'patronus_agent_prediction_model_info{model="none"',
      )

      predictor.setPaths(['site-b/0/0', 'site-b/1/0'])
      predictor.setModel(fixed([0.9, 0.1]))
      await predictor.score()
      const text = await registry.metrics()
      expect(text).toMatch(
        /patronus_agent_path_failure_probability\{peer_site="site-b",local_slot="0",remote_slot="0"\} 0\.(9|8999)/,
      )
      expect(text).toContain(
        'patronus_agent_path_predicted_degradation{peer_site="site-b",local_slot="0",remote_slot="0"} 1',
      )
      expect(text).toContain(
        'patronus_agent_path_predicted_degradation{peer_site="site-b",local_slot="1",remote_slot="0"} 0',
      )
      expect(text).toContain('patronus_agent_prediction_model_info{model="fake-model"')
      expect(text).toContain('patronus_agent_prediction_inference_seconds_count 1')

      await manager.want({ id: 'm2', sha256: 'a'.repeat(64) })
      expect(await registry.metrics()).toContain(
        'patronus_agent_prediction_model_refused{model="m2"} 1',
      )
      await manager.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
