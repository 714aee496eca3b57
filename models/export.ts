/**
 * The training export: replays every trace of a dataset through the agent's feature module at
 * the agent's 100 ms cadence (models/trace/replay.ts) and writes, per split, NumPy matrices for
 * the trainer: X_<split>.npy float32 [n, FEATURE_COUNT], y_<split>.npy uint8 (an event starts
 * within the horizon), scored_<split>.npy uint8 (the tick is scored: outside events and their
 * grace period), train_<split>.npy uint8 (the tick is trained on: outside events) and
 * trace_<split>.npy int32 (index into the split's trace list in export.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FEATURE_COUNT, FEATURE_NAMES } from '../agent/predict/features.ts'
import type { Manifest, Split } from './generate/dataset.ts'
import { readTrace } from './trace/format.ts'
import { NpyWriter } from './trace/npy.ts'
import { DEFAULT_HORIZON_MS, DEFAULT_TICK_MS, type Replay, replayTrace } from './trace/replay.ts'

export interface ExportSummary {
  featureNames: readonly string[]
  tickMs: number
  horizonMs: number
  splits: Record<Split, { traces: string[]; rows: number; positives: number; scored: number }>
}

/** Replays of one split, in manifest order. */
export function replaySplit(dir: string, manifest: Manifest, split: Split): Replay[] {
  return manifest.traces
    .filter((t) => t.split === split)
    .map((t) => replayTrace(readTrace(dir, t.name), { horizonMs: DEFAULT_HORIZON_MS }))
}

export function exportDataset(
  traceDir: string,
  manifest: Manifest,
  outDir: string,
  keep: readonly Split[] = [],
): { summary: ExportSummary; kept: Partial<Record<Split, Replay[]>> } {
  mkdirSync(outDir, { recursive: true })
  const summary: ExportSummary = {
    featureNames: FEATURE_NAMES,
    tickMs: DEFAULT_TICK_MS,
    horizonMs: DEFAULT_HORIZON_MS,
    splits: {
      train: { traces: [], rows: 0, positives: 0, scored: 0 },
      val: { traces: [], rows: 0, positives: 0, scored: 0 },
      test: { traces: [], rows: 0, positives: 0, scored: 0 },
    },
  }
  const kept: Partial<Record<Split, Replay[]>> = {}
  for (const split of ['train', 'val', 'test'] as const) {
    const replays = replaySplit(traceDir, manifest, split)
    const rows = replays.reduce((a, r) => a + r.ticks.length, 0)
    const x = new NpyWriter(join(outDir, `X_${split}.npy`), '<f4', [rows, FEATURE_COUNT])
    const y = new NpyWriter(join(outDir, `y_${split}.npy`), '|u1', [rows])
    const s = new NpyWriter(join(outDir, `scored_${split}.npy`), '|u1', [rows])
    const tm = new NpyWriter(join(outDir, `train_${split}.npy`), '|u1', [rows])
    const tr = new NpyWriter(join(outDir, `trace_${split}.npy`), '<i4', [rows])
    const info = summary.splits[split]
    replays.forEach((r, i) => {
      x.append(r.features)
      y.append(r.label)
      s.append(r.scored)
      tm.append(r.inEvent.map((v) => 1 - v))
      tr.append(new Int32Array(r.ticks.length).fill(i))
      info.traces.push(r.name)
      info.positives += r.label.reduce((a, v, k) => a + (v & r.scored[k]!), 0)
      info.scored += r.scored.reduce((a, v) => a + v, 0)
    })
    info.rows = rows
    for (const w of [x, y, s, tm, tr]) w.close()
    if (keep.includes(split)) kept[split] = replays
  }
  writeFileSync(join(outDir, 'export.json'), `${JSON.stringify(summary, null, 1)}\n`)
  return { summary, kept }
}
