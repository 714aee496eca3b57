/**
 * The predictor on a fake clock: every path scored in ONE batch per round, flags at the
 * model's threshold, flag changes announced, a failing model clears the flags, no model means
 * no flags (reactive-only), one path.predicted_degradation per episode. Then the shipped
 * model end to end: probe outcomes in, probabilities out, for a healthy and a dying path.
 */
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../clock/fake'
import type { DecisionEvent } from '../decision'
import { silentLogger } from '../logger'
import { FEATURE_COUNT, FEATURE_NAMES } from './features'
import { loadModel, type PredictionModel } from './model'
import { Predictor } from './predictor'
import { shippedModel } from './testing'

const T0 = Date.UTC(2026, 0, 1)
const ref = (slot: number) => ({ peerSiteId: 'site-b', localSlot: slot, remoteSlot: 0 })
const key = (slot: number) => `site-b/${slot}/0`

/** P = the 1 s loss ratio feature: easy to steer from the test. */
function lossModel(calls: number[]): PredictionModel {
  const at = FEATURE_NAMES.indexOf('loss_ratio_1s')
  return {
    id: 'fake',
    sha256: '0'.repeat(64),
    threshold: 0.5,
    horizonMs: 5_000,
    async score(features, rows) {
      calls.push(rows)
      return Float32Array.from({ length: rows }, (_, i) => features[i * FEATURE_COUNT + at]!)
    },
    release: async () => {},
  }
}

function setup() {
  const clock = new FakeClock(T0)
  let changes = 0
  const predictor = new Predictor({
    clock,
    logger: silentLogger(),
    onFlagsChanged: () => {
      changes++
    },
  })
  predictor.setPaths([key(0), key(1), key(2)])
  const probe = (slot: number, seq: number, rttMs: number | null) =>
    predictor.observeProbe(key(slot), { tMs: clock.now(), seq, rttMs })
  return { clock, predictor, probe, changes: () => changes }
}

describe('predictor', () => {
  it('scores every path in one batch and flags those at or over the threshold', async () => {
    const { clock, predictor, probe, changes } = setup()
    const calls: number[] = []
    await predictor.score()
    expect(calls).toEqual([]) // no model: nothing runs, nothing flagged
    expect(predictor.flagged(key(0))).toBe(false)
    predictor.setModel(lossModel(calls))
    for (let s = 1; s <= 10; s++) {
      clock.advance(50)
      probe(0, s, null) // path 0: every probe lost
      probe(1, s, 20)
      probe(2, s, s % 5 === 0 ? null : 20) // path 2: 20% loss
    }
    await predictor.score()
    expect(calls).toEqual([3])
    expect(predictor.probability(key(0))).toBeCloseTo(1)
    expect(predictor.probability(key(2))).toBeCloseTo(0.2)
    expect([0, 1, 2].map((s) => predictor.flagged(key(s)))).toEqual([true, false, false])
    expect(changes()).toBe(1)
    expect(predictor.rounds).toBe(1)
    expect(predictor.lastInferenceMs).toBeGreaterThanOrEqual(0)
  })

  it('a failing model clears the flags; no model means reactive-only', async () => {
    const { clock, predictor, probe } = setup()
    const calls: number[] = []
    const model = lossModel(calls)
    predictor.setModel(model)
    for (let s = 1; s <= 5; s++) {
      clock.advance(50)
      probe(0, s, null)
    }
    await predictor.score()
    expect(predictor.flagged(key(0))).toBe(true)
    model.score = async () => {
      throw new Error('boom')
    }
    await predictor.score()
    expect(predictor.flagged(key(0))).toBe(false)
    expect(predictor.probability(key(0))).toBeNull()
    predictor.setModel(null)
    await predictor.score()
    expect(predictor.probabilities()).toEqual([])
  })

  it('runs every 100 ms on the injected clock', async () => {
    const { clock, predictor } = setup()
    const calls: number[] = []
    predictor.setModel(lossModel(calls))
    predictor.start()
    for (let k = 0; k < 10; k++) {
      await Promise.resolve()
      clock.advance(100)
      await new Promise((r) => setImmediate(r))
    }
    await predictor.stop()
    expect(calls.length).toBeGreaterThanOrEqual(10)
    expect(calls.length).toBeLessThanOrEqual(11)
  })

  it('one path.predicted_degradation per episode, naming the classes moved', async () => {
    const { clock, predictor, probe } = setup()
    predictor.setModel(lossModel([]))
    const paths = [0, 1, 2].map((s) => ({ key: key(s), ref: ref(s) }))
    const moved: DecisionEvent[] = [
      {
        type: 'switch',
        at: clock.now(),
        classId: 'voice',
        peerSiteId: 'site-b',
        from: ref(0),
        to: ref(1),
        reason: 'predicted',
      },
    ]
    let seq = 0
    const round = async (lost: boolean) => {
      clock.advance(100)
      probe(0, ++seq, lost ? null : 20)
      probe(0, ++seq, lost ? null : 20)
      await predictor.score()
    }
    expect(predictor.events(clock.now(), paths, [])).toEqual([])
    await round(true)
    const first = predictor.events(clock.now(), paths, moved)
    expect(first).toHaveLength(1)
    expect(first[0]).toMatchObject({
      type: 'path.predicted_degradation',
      severity: 'warning',
      path: ref(0),
      details: { threshold: 0.5, horizonS: 5, modelId: 'fake', moved: ['voice'] },
    })
    // Flag toggling within the quiet period: the same episode, no new event.
    for (let k = 0; k < 30; k++) {
      await round(k % 10 === 0)
      expect(predictor.events(clock.now(), paths, [])).toEqual([])
    }
    // Quiet for 10 s (the 1 s loss window empties first), then a new episode.
    for (let k = 0; k < 120; k++) {
      await round(false)
      predictor.events(clock.now(), paths, [])
    }
    const second = []
    for (let k = 0; k < 8; k++) {
      await round(true)
      second.push(...predictor.events(clock.now(), paths, []))
    }
    expect(second).toHaveLength(1)
  })

  it('with the shipped model: a queue build-up (RTT ramp) is flagged, a steady path is not', async () => {
    const shipped = shippedModel()
    const { clock, predictor, probe } = setup()
    predictor.setModel(await loadModel(shipped.onnx, shipped.manifest))
    predictor.observeBfd(key(0), T0, true)
    predictor.observeBfd(key(1), T0, true)
    // 60 s of steady 0.5 ms probes at 20 Hz on both paths (the lab's RTT), then path 0's
    // RTT grows by 20 ms per second (a queue filling) for 8 s.
    let seq = 0
    const jitter = (k: number) => 0.45 + (0.1 * ((k * 37) % 11)) / 11
    for (let k = 0; k < 1_200; k++) {
      clock.advance(50)
      seq++
      probe(0, seq, jitter(k))
      probe(1, seq, jitter(k))
    }
    await predictor.score()
    expect(predictor.flagged(key(0))).toBe(false)
    let firstFlagAt: number | null = null
    for (let k = 0; k < 160; k++) {
      clock.advance(50)
      seq++
      probe(0, seq, jitter(k) + k)
      probe(1, seq, jitter(k))
      if (k % 2 === 1) {
        await predictor.score()
        if (firstFlagAt === null && predictor.flagged(key(0))) firstFlagAt = (k + 1) * 50
      }
      expect(predictor.flagged(key(1))).toBe(false)
    }
    expect(firstFlagAt).not.toBeNull()
    expect(predictor.probability(key(0))).toBeGreaterThanOrEqual(shipped.manifest.threshold)
    await predictor.model?.release()
  })
})
