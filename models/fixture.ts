/**
 * The committed test fixture (models/fixtures/), written by `npm run models:train`:
 * - traces/: two short generated traces (seeds and options in fixture.json), so the tests can
 *   check that the generator is deterministic and that replaying them gives the features the
 *   export produced;
 * - features.npy: every FIXTURE_ROW_STEP-th exported feature row of those traces;
 * - outputs.json: fixed input rows and the shipped model's probabilities for them, computed by
 *   onnxruntime-node (Python has no onnxruntime here).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type * as ort from 'onnxruntime-node'
import { FEATURE_COUNT } from '../agent/predict/features.ts'
import { predict } from './evaluate/score.ts'
import { type GeneratorOptions, generateTrace } from './generate/generator.ts'
import { writeTrace } from './trace/format.ts'
import { NpyWriter } from './trace/npy.ts'
import { replayTrace } from './trace/replay.ts'

export const FIXTURE_ROW_STEP = 10
export const FIXTURE_GENERATOR: GeneratorOptions = {
  durationMs: 240_000,
  probeIntervalMs: 50,
  cleanProbability: 0,
  earlyProbability: 0.5,
}
export const FIXTURE_TRACES = [
  { name: 'fixture-a', seed: 101 },
  { name: 'fixture-b', seed: 202 },
] as const

export interface FixtureJson {
  modelId: string
  sha256: string
  generator: GeneratorOptions
  traces: { name: string; seed: number; ticks: number; rows: number }[]
  rowStep: number
}

export interface OutputsJson {
  inputs: number[][]
  probabilities: number[]
}

/** Every step-th row of a row-major matrix. */
export function everyNthRow(features: Float32Array, step: number): Float32Array {
  const rows = Math.ceil(features.length / FEATURE_COUNT / step)
  const out = new Float32Array(rows * FEATURE_COUNT)
  for (let r = 0; r < rows; r++) {
    out.set(
      features.subarray(r * step * FEATURE_COUNT, (r * step + 1) * FEATURE_COUNT),
      r * FEATURE_COUNT,
    )
  }
  return out
}

export async function writeFixtures(
  dir: string,
  session: ort.InferenceSession,
  model: { id: string; sha256: string },
): Promise<void> {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'traces'), { recursive: true })
  const parts: Float32Array[] = []
  const json: FixtureJson = {
    modelId: model.id,
    sha256: model.sha256,
    generator: FIXTURE_GENERATOR,
    traces: [],
    rowStep: FIXTURE_ROW_STEP,
  }
  for (const { name, seed } of FIXTURE_TRACES) {
    const trace = generateTrace(name, seed, FIXTURE_GENERATOR)
    writeTrace(join(dir, 'traces'), trace)
    const replay = replayTrace(trace)
    const rows = everyNthRow(replay.features, FIXTURE_ROW_STEP)
    parts.push(rows)
    json.traces.push({ name, seed, ticks: replay.ticks.length, rows: rows.length / FEATURE_COUNT })
  }
  const total = parts.reduce((a, p) => a + p.length, 0) / FEATURE_COUNT
  const npy = new NpyWriter(join(dir, 'features.npy'), '<f4', [total, FEATURE_COUNT])
  for (const p of parts) npy.append(p)
  npy.close()
  writeFileSync(join(dir, 'fixture.json'), `${JSON.stringify(json, null, 1)}\n`)

  // Fixed inputs: the fixture rows the model scores highest and lowest, plus the extremes of
  // the feature range, so the recorded outputs span the probability range.
  const all = new Float32Array(total * FEATURE_COUNT)
  let o = 0
  for (const p of parts) {
    all.set(p, o)
    o += p.length
  }
  const scores = await predict(session, all, total)
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!)
  const picks = [...order.slice(0, 6), ...order.slice(-4), ...order.filter((_, i) => i % 97 === 50)]
  const inputs = picks.map((i) =>
    Array.from(all.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)),
  )
  inputs.push(new Array(FEATURE_COUNT).fill(0), new Array(FEATURE_COUNT).fill(1))
  const flat = new Float32Array(inputs.flat())
  const probabilities = Array.from(await predict(session, flat, inputs.length))
  const outputs: OutputsJson = { inputs, probabilities }
  writeFileSync(join(dir, 'outputs.json'), `${JSON.stringify(outputs)}\n`)
}
