import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FEATURE_COUNT } from '../agent/predict/features'
import { exportDataset } from './export'
import { generateDataset } from './generate/dataset'
import { readTrace } from './trace/format'
import { readNpyFloat32 } from './trace/npy'
import { replayTrace } from './trace/replay'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('training export', () => {
  it('writes, per split and by trace, exactly the features the agent module computes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-export-'))
    dirs.push(dir)
    const traces = join(dir, 'traces')
    const out = join(dir, 'out')
    const manifest = generateDataset(traces, {
      seed: 5,
      traces: 5,
      valFraction: 0.2,
      testFraction: 0.2,
      generator: {
        durationMs: 150_000,
        probeIntervalMs: 50,
        cleanProbability: 0,
        earlyProbability: 0.5,
      },
    })
    const { summary } = exportDataset(traces, manifest, out)
    expect(summary.splits.train.traces).toHaveLength(3)
    // Every trace lands in exactly one split.
    const all = [
      ...summary.splits.train.traces,
      ...summary.splits.val.traces,
      ...summary.splits.test.traces,
    ]
    expect(new Set(all).size).toBe(5)
    for (const split of ['train', 'val', 'test'] as const) {
      const { shape, data } = readNpyFloat32(join(out, `X_${split}.npy`))
      expect(shape).toEqual([summary.splits[split].rows, FEATURE_COUNT])
      const labels = readFileSync(join(out, `y_${split}.npy`))
      let row = 0
      for (const name of summary.splits[split].traces) {
        const replay = replayTrace(readTrace(traces, name))
        const part = data.subarray(row * FEATURE_COUNT, (row + replay.ticks.length) * FEATURE_COUNT)
        expect(Buffer.from(part.buffer, part.byteOffset, part.byteLength)).toEqual(
          Buffer.from(replay.features.buffer),
        )
        // y_*.npy: a 128-byte header, then one byte per tick.
        const y = labels.subarray(128 + row, 128 + row + replay.ticks.length)
        expect(Buffer.from(y)).toEqual(Buffer.from(replay.label))
        row += replay.ticks.length
      }
      expect(row).toBe(shape[0])
    }
  })
})
