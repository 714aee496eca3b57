import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { referenceScorePaths } from './reference.js'
import { type ClassWeights, type METRIC_ORDER, type PathMetrics, scorePaths } from './score.js'

/** A metric value: mostly plausible, sometimes hostile (NaN, infinities, negatives, ties). */
const metric = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0, max: 500, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 0.5, 100) },
  { weight: 1, arbitrary: fc.double() },
)
const loss = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0, max: 0.3, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, -0.1, Number.NaN) },
)
const weight = fc.oneof(fc.double({ min: 0, max: 50, noNaN: true }), fc.constantFrom(0, 1, 10))
const classWeights: fc.Arbitrary<ClassWeights> = fc.record({
  latency: weight,
  jitter: weight,
  loss: weight,
  bandwidth: weight,
  cost: weight,
  mos: weight,
})

const paths = fc.integer({ min: 0, max: 40 }).chain((n) =>
  fc.record({
    latencyMs: fc.array(metric, { minLength: n, maxLength: n }),
    jitterMs: fc.array(metric, { minLength: n, maxLength: n }),
    loss: fc.array(loss, { minLength: n, maxLength: n }),
    bandwidthMbps: fc.array(metric, { minLength: n, maxLength: n }),
    cost: fc.array(metric, { minLength: n, maxLength: n }),
    mos: fc.array(metric, { minLength: n, maxLength: n }),
  }),
)

function toMetrics(raw: Record<(typeof METRIC_ORDER)[number], number[]>): PathMetrics {
  return {
    latencyMs: Float64Array.from(raw.latencyMs),
    jitterMs: Float64Array.from(raw.jitterMs),
    loss: Float64Array.from(raw.loss),
    bandwidthMbps: Float64Array.from(raw.bandwidthMbps),
    cost: Float64Array.from(raw.cost),
    mos: Float64Array.from(raw.mos),
  }
}

/** Bit patterns, so that equal means identical IEEE results (NaN included). */
function bits(a: Float64Array | undefined): bigint[] {
  return [...new BigUint64Array(Float64Array.from(a ?? []).buffer)]
}

describe('path scorer', () => {
  it('matches the plain TypeScript reference bit for bit on random inputs', () => {
    fc.assert(
      fc.property(paths, fc.array(classWeights, { maxLength: 6 }), (raw, classes) => {
        const metrics = toMetrics(raw)
        const ours = scorePaths(metrics, classes, { scores: true })
        const ref = referenceScorePaths(metrics, classes)
        expect([...ours.bestPath]).toEqual([...ref.bestPath])
        expect(bits(ours.bestScore)).toEqual(bits(ref.bestScore))
        expect(bits(ours.scores)).toEqual(bits(ref.scores))
      }),
      { numRuns: 1000 },
    )
  })

  it('prefers the low-latency path for voice and the cheap path for bulk', () => {
    const metrics = toMetrics({
      latencyMs: [80, 12, 30],
      jitterMs: [5, 1, 3],
      loss: [0, 0.001, 0],
      bandwidthMbps: [1000, 50, 200],
      cost: [0, 10, 1],
      mos: [4.0, 4.4, 4.2],
    })
    const voice = { latency: 1, jitter: 2, loss: 100, bandwidth: 0, cost: 0, mos: 10 }
    const bulk = { latency: 0.01, jitter: 0, loss: 10, bandwidth: 5, cost: 1, mos: 0 }
    expect([...scorePaths(metrics, [voice, bulk]).bestPath]).toEqual([1, 0])
  })

  it('never picks an unusable path and breaks ties by lowest index', () => {
    const metrics = toMetrics({
      latencyMs: [10, 10, 10, Number.NaN],
      jitterMs: [1, 1, 1, 0],
      loss: [1, 0.01, 0.01, 0],
      bandwidthMbps: [100, 100, 100, 100],
      cost: [0, 0, 0, 0],
      mos: [5, 4, 4, 5],
    })
    const w = { latency: 1, jitter: 1, loss: 1, bandwidth: 1, cost: 1, mos: 1 }
    const r = scorePaths(metrics, [w])
    expect(r.bestPath[0]).toBe(1)
    const dead = toMetrics({
      latencyMs: [1],
      jitterMs: [1],
      loss: [1],
      bandwidthMbps: [1],
      cost: [1],
      mos: [1],
    })
    const none = scorePaths(dead, [w])
    expect(none.bestPath[0]).toBe(-1)
    expect(none.bestScore[0]).toBe(Number.NEGATIVE_INFINITY)
  })

  it('rejects metric arrays of different lengths', () => {
    const metrics = toMetrics({
      latencyMs: [1, 2],
      jitterMs: [1],
      loss: [0, 0],
      bandwidthMbps: [1, 1],
      cost: [0, 0],
      mos: [4, 4],
    })
    expect(() => scorePaths(metrics, [])).toThrow(/jitterMs has 1 paths, latencyMs has 2/)
  })
})
