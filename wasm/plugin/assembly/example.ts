// Example scorer plugin, compiled by wasm/build.mjs into a component of the patronus:scorer world
// (wasm/plugin/wit/scorer.wit). The canonical ABI flattens the `metrics` record into six f64
// parameters, so this core module needs no memory traffic, no allocator and no imports.
//
// The policy: a voice-first preference. Paths with 5% loss or more are refused (-infinity);
// otherwise the score is the MOS minus a latency and jitter penalty, with cost as tie-breaker.

export function score(
  latencyMs: f64,
  jitterMs: f64,
  loss: f64,
  bandwidthMbps: f64,
  cost: f64,
  mos: f64,
): f64 {
  if (loss >= 0.05) return -Infinity
  return (
    mos * 10.0 -
    latencyMs * 0.05 -
    jitterMs * 0.2 -
    cost * 0.01 +
    (bandwidthMbps >= 1.0 ? 1.0 : 0.0)
  )
}
