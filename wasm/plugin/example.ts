/**
 * Where the build puts the example scorer plugin component (wasm/plugin/assembly/example.ts
 * compiled and wrapped by wasm/build.mjs), and the same policy in TypeScript for its tests.
 */
import type { ScorerMetrics } from './loader.js'

export const exampleComponentPath = new URL(
  '../build/scorer-example.component.wasm',
  import.meta.url,
)

/** What the example plugin computes: a voice-first preference. */
export function exampleScore(m: ScorerMetrics): number {
  if (m.loss >= 0.05) return Number.NEGATIVE_INFINITY
  return (
    m.mos * 10 -
    m.latencyMs * 0.05 -
    m.jitterMs * 0.2 -
    m.cost * 0.01 +
    (m.bandwidthMbps >= 1 ? 1 : 0)
  )
}
