/**
 * The generated dataset: N traces written in the trace format plus `manifest.json`, which
 * assigns every trace to train, validation or test. The split is by trace, never by sample
 * (neighbouring 100 ms samples are nearly the same and would leak across a sample split),
 * and is a seeded shuffle so it is reproducible.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeTrace } from '../trace/format.ts'
import { DEFAULT_GENERATOR_OPTIONS, type GeneratorOptions, generateTrace } from './generator.ts'
import { createRng } from './rng.ts'

export type Split = 'train' | 'val' | 'test'

export interface Manifest {
  seed: number
  source: 'generator' | 'recorded' | 'mixed'
  generator?: GeneratorOptions
  traces: {
    name: string
    split: Split
    incidents?: string[]
    baseRttMs?: number
    /** Recorded in the WAN lab (models/recorded), not generated. */
    recorded?: boolean
  }[]
}

export interface DatasetOptions {
  seed: number
  traces: number
  /** Fractions of traces for validation and test; the rest trains. */
  valFraction: number
  testFraction: number
  generator?: GeneratorOptions
}

export const DEFAULT_DATASET: DatasetOptions = {
  seed: 20_261_126,
  traces: 400,
  valFraction: 0.2,
  testFraction: 0.2,
}

export function assignSplits(names: readonly string[], seed: number, val: number, test: number) {
  const rng = createRng(seed ^ 0x5eed)
  const order = names.map((name) => ({ name, key: rng.next() })).sort((a, b) => a.key - b.key)
  const nTest = Math.round(names.length * test)
  const nVal = Math.round(names.length * val)
  const split = new Map<string, Split>()
  for (const [i, o] of order.entries()) {
    split.set(o.name, i < nTest ? 'test' : i < nTest + nVal ? 'val' : 'train')
  }
  return split
}

export function generateDataset(dir: string, options: DatasetOptions = DEFAULT_DATASET): Manifest {
  mkdirSync(dir, { recursive: true })
  const generator = options.generator ?? DEFAULT_GENERATOR_OPTIONS
  const names = Array.from(
    { length: options.traces },
    (_, i) => `gen-${String(i).padStart(4, '0')}`,
  )
  const split = assignSplits(names, options.seed, options.valFraction, options.testFraction)
  const manifest: Manifest = { seed: options.seed, source: 'generator', generator, traces: [] }
  names.forEach((name, i) => {
    // One seed per trace, so a trace does not change when the dataset grows.
    const trace = generateTrace(name, (options.seed * 7_919 + i * 104_729) >>> 0, generator)
    writeTrace(dir, trace)
    manifest.traces.push({
      name,
      split: split.get(name)!,
      incidents: trace.incidents.map((x) => x.kind),
      baseRttMs: Math.round(trace.baseRttMs * 10) / 10,
    })
  })
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`)
  return manifest
}

export function readManifest(dir: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}
