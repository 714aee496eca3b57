/**
 * Scores replayed traces with an ONNX model through onnxruntime-node (the runtime the agent
 * uses), in large batches. Python has no onnxruntime here, so every number quoted for the
 * shipped model comes through this path.
 */
import * as ort from 'onnxruntime-node'
import { FEATURE_COUNT } from '../../agent/predict/features.ts'
import type { Replay } from '../trace/replay.ts'
import type { ScoredTrace } from './metrics.ts'

export const INPUT_NAME = 'features'
export const OUTPUT_NAME = 'probability'

export async function loadSession(model: string | Uint8Array): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    // One thread: the agent shares its cores with wireguard-go, and results must not depend
    // on the thread count.
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  }
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options)
}

/** P(event within the horizon) for `rows` feature rows laid out row-major in `features`. */
export async function predict(
  session: ort.InferenceSession,
  features: Float32Array,
  rows: number,
): Promise<Float32Array> {
  const out = new Float32Array(rows)
  const chunk = 16_384
  for (let r = 0; r < rows; r += chunk) {
    const n = Math.min(chunk, rows - r)
    const input = features.subarray(r * FEATURE_COUNT, (r + n) * FEATURE_COUNT)
    const result = await session.run({
      [INPUT_NAME]: new ort.Tensor('float32', input, [n, FEATURE_COUNT]),
    })
    const probability = result[OUTPUT_NAME]
    if (!probability) throw new Error(`model has no output named ${OUTPUT_NAME}`)
    out.set(probability.data as Float32Array, r)
  }
  return out
}

export async function scoreReplays(
  session: ort.InferenceSession,
  replays: readonly Replay[],
): Promise<ScoredTrace[]> {
  const out: ScoredTrace[] = []
  for (const r of replays) {
    out.push({
      ticks: r.ticks,
      tickMs: r.tickMs,
      scores: await predict(session, r.features, r.ticks.length),
      label: r.label,
      scored: r.scored,
      events: r.events,
    })
  }
  return out
}
