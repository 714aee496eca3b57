/**
 * Scorer benchmark: path-scores per second of the wasm batch scorer (one call scores N paths for
 * M classes and picks each class's best), for a few batch shapes, with the plain TypeScript
 * reference for comparison. Metric values are realistic, all paths usable.
 */

import {
  type ClassWeights,
  type PathMetrics,
  packWeights,
  scorePaths,
} from '../../wasm/score/index.js'
import { referenceScorePaths } from '../../wasm/score/reference.js'
import { race } from './measure.js'

export interface ScoreFigures {
  pathScoresPerSec: number
  shape: string
  plainTsPathScoresPerSec: number
  byShape: Record<string, number>
}

function metrics(n: number): PathMetrics {
  let x = 12345
  const rnd = () => {
    x = (x * 1103515245 + 12345) >>> 0
    return x / 2 ** 32
  }
  const arr = (f: () => number) => Float64Array.from({ length: n }, f)
  return {
    latencyMs: arr(() => 5 + rnd() * 200),
    jitterMs: arr(() => rnd() * 20),
    loss: arr(() => rnd() * 0.05),
    bandwidthMbps: arr(() => 10 + rnd() * 1000),
    cost: arr(() => rnd() * 10),
    mos: arr(() => 1 + rnd() * 4),
  }
}

function classes(m: number): ClassWeights[] {
  return Array.from({ length: m }, (_, c) => ({
    latency: 1 + c,
    jitter: 2,
    loss: 100,
    bandwidth: c % 3,
    cost: c % 2,
    mos: 10 - c,
  }))
}

const MAIN = '1024x8'

export async function benchScore(): Promise<ScoreFigures> {
  const byShape: Record<string, number> = {}
  for (const [n, m] of [
    [64, 4],
    [1024, 8],
    [16384, 8],
  ] as const) {
    const data = metrics(n)
    const weights = packWeights(classes(m))
    const r = await race([{ name: 'ours', units: n * m, op: () => scorePaths(data, weights) }], 200)
    byShape[`${n}x${m}`] = Math.round(r['ours']!)
  }
  const data = metrics(1024)
  const cls = classes(8)
  const plain = await race(
    [{ name: 'plain', units: 1024 * 8, op: () => referenceScorePaths(data, cls) }],
    200,
  )
  return {
    pathScoresPerSec: byShape[MAIN]!,
    shape: `${MAIN} (paths x classes per call)`,
    plainTsPathScoresPerSec: Math.round(plain['plain']!),
    byShape,
  }
}
