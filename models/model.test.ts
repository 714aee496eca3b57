import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FEATURE_COUNT, FEATURE_NAMES } from '../agent/predict/features'
import { INPUT_NAME, loadSession, OUTPUT_NAME, predict } from './evaluate/score'
import { queueRampTrace, RAMP_MS } from './evaluate/warmup'
import { everyNthRow, type FixtureJson, type OutputsJson } from './fixture'
import { readTrace } from './trace/format'
import { readNpyFloat32 } from './trace/npy'
import { replayTrace } from './trace/replay'
import { MODEL_NAME, type ModelJson } from './train'

const here = import.meta.dirname
const modelDir = join(here, MODEL_NAME)
const fixtureDir = join(here, 'fixtures')
const model = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as ModelJson
const fixture = JSON.parse(readFileSync(join(fixtureDir, 'fixture.json'), 'utf8')) as FixtureJson
const outputs = JSON.parse(readFileSync(join(fixtureDir, 'outputs.json'), 'utf8')) as OutputsJson

describe('shipped model and training export', () => {
  it('matches the sha256 in model.json and the fixture', () => {
    const sha = createHash('sha256')
      .update(readFileSync(join(modelDir, model.file)))
      .digest('hex')
    expect(sha).toBe(model.sha256)
    expect(fixture.sha256).toBe(model.sha256)
  })

  it('was trained on the features the agent computes, in the same order', () => {
    expect(model.featureNames).toEqual(FEATURE_NAMES)
    expect(model.featureCount).toBe(FEATURE_COUNT)
    expect([model.input, model.output]).toEqual([INPUT_NAME, OUTPUT_NAME])
    expect(model.threshold).toBeGreaterThan(0)
    expect(model.threshold).toBeLessThan(1)
  })

  it('replaying the fixture traces gives the features the export wrote', () => {
    const { shape, data } = readNpyFloat32(join(fixtureDir, 'features.npy'))
    expect(shape[1]).toBe(FEATURE_COUNT)
    let row = 0
    for (const t of fixture.traces) {
      const replay = replayTrace(readTrace(join(fixtureDir, 'traces'), t.name))
      expect(replay.ticks.length).toBe(t.ticks)
      const rows = everyNthRow(replay.features, fixture.rowStep)
      const expected = data.subarray(row * FEATURE_COUNT, (row + t.rows) * FEATURE_COUNT)
      expect(rows.length).toBe(expected.length)
      let maxDiff = 0
      for (let i = 0; i < rows.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(rows[i]! - expected[i]!))
      expect(maxDiff).toBeLessThan(1e-6)
      row += t.rows
    }
    expect(row).toBe(shape[0])
  })

  it('loads with onnxruntime-node and gives the recorded outputs on fixed inputs', async () => {
    const session = await loadSession(join(modelDir, model.file))
    expect(session.inputNames).toEqual([INPUT_NAME])
    expect(session.outputNames).toEqual([OUTPUT_NAME])
    const flat = new Float32Array(outputs.inputs.flat())
    const got = await predict(session, flat, outputs.inputs.length)
    expect(got.length).toBe(outputs.probabilities.length)
    for (const [i, p] of outputs.probabilities.entries()) expect(got[i]).toBeCloseTo(p, 6)
    // The fixed inputs span the range: some alarm, some do not.
    expect(Math.max(...got)).toBeGreaterThan(model.threshold * 0.8)
    expect(Math.min(...got)).toBeLessThan(0.05)
  })

  it('is not blind while its windows fill: a queue build-up 10 s after start is flagged early', async () => {
    // pathfail-mlp-v1 scored this ramp P 0.000 up to the cut at 10 s and 20 s after start
    // (it had never seen a precursor on a filling 60 s window), 0.96 a minute later.
    const session = await loadSession(join(modelDir, model.file))
    for (const atMs of [10_000, 20_000, 120_000]) {
      const replay = replayTrace(queueRampTrace(atMs))
      const scores = await predict(session, replay.features, replay.ticks.length)
      const cutAt = atMs + RAMP_MS
      const first = replay.ticks.findIndex((t, k) => t > atMs && scores[k]! >= model.threshold)
      expect(first, `ramp at ${atMs} ms never alarmed`).toBeGreaterThanOrEqual(0)
      // At least a second before the cut: time for the path selector to move the class.
      expect(cutAt - replay.ticks[first]!, `ramp at ${atMs} ms`).toBeGreaterThanOrEqual(1_000)
      // And no alarm on the clean stretch before the ramp, fresh as the path is.
      const before = replay.ticks.findIndex((t, k) => t <= atMs && scores[k]! >= model.threshold)
      expect(before).toBe(-1)
    }
  })
})
