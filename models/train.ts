/**
 * `npm run models:train`: the whole model pipeline in one reproducible command.
 *
 *   1. generate the dataset (seeded) into models/data/generated, plus any recorded lab traces
 *      from models/recorded, with a train/val/test split by trace (manifest.json);
 *   2. export the training matrices with the agent's feature module (models/export.ts);
 *   3. train the MLP with Debian's /usr/bin/python3 (models/train_mlp.py) -> ONNX;
 *   4. with onnxruntime-node: pick the alarm threshold on validation (<= MAX_FA_VAL false
 *      alarms per path-hour), measure the test split and the baselines;
 *   5. write models/<name>/ (model.onnx, model.json with its sha256, README.md model card,
 *      training.json) and the test fixture (models/fixtures/).
 *
 * Options: --skip-generate (reuse models/data/generated), --skip-train (reuse the ONNX).
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FEATURE_COUNT, FEATURE_NAMES } from '../agent/predict/features.ts'
import { writeModelCard } from './card.ts'
import { reactiveBaseline, thresholdBaseline } from './evaluate/baselines.ts'
import { evaluate, type Metrics, pickThreshold } from './evaluate/metrics.ts'
import { INPUT_NAME, loadSession, OUTPUT_NAME, predict, scoreReplays } from './evaluate/score.ts'
import { queueRampTrace, RAMP_MS, warmupMetrics } from './evaluate/warmup.ts'
import { exportDataset } from './export.ts'
import { writeFixtures } from './fixture.ts'
import { DEFAULT_DATASET, generateDataset, type Manifest } from './generate/dataset.ts'
import { listTraces } from './trace/format.ts'
import { DEFAULT_HORIZON_MS, DEFAULT_TICK_MS, replayTrace } from './trace/replay.ts'

export const MODEL_NAME = 'pathfail-mlp-v2'
/** Validation target, under the 1 per path-hour goal to leave room for test-set variance. */
export const MAX_FA_VAL = 0.8

const here = dirname(fileURLToPath(import.meta.url))
const dataDir = join(here, 'data')
const traceDir = join(dataDir, 'generated')
const exportDir = join(dataDir, 'export')
const recordedDir = join(here, 'recorded')
const modelDir = join(here, MODEL_NAME)
const PYTHON = '/usr/bin/python3'

const log = (msg: string) => console.log(`[models:train] ${msg}`)

export interface ModelJson {
  id: string
  sha256: string
  file: string
  input: string
  output: string
  featureNames: readonly string[]
  featureCount: number
  tickMs: number
  horizonMs: number
  threshold: number
  trainedBy: string
  test: Metrics
  /** The test metrics over events starting in a trace's first minute (recall figures only). */
  testWarmup?: Metrics
  /** P 4 s into the lab-like queue build-up (models/evaluate/warmup.ts) placed at N s. */
  warmupRamp?: Record<string, number>
}

/** Where the ramp probe is placed (s after start): warming up, and warm for comparison. */
export const RAMP_PROBE_AT_S = [10, 20, 30, 120] as const

/** P at 4 s into a queue build-up placed at each of RAMP_PROBE_AT_S, 2 s before its cut. */
export async function scoreRampProbe(
  session: Awaited<ReturnType<typeof loadSession>>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const atS of RAMP_PROBE_AT_S) {
    const replay = replayTrace(queueRampTrace(atS * 1000))
    const k = replay.ticks.findIndex((t) => t >= atS * 1000 + RAMP_MS - 2_000)
    const row = replay.features.subarray(k * FEATURE_COUNT, (k + 1) * FEATURE_COUNT)
    out[`${atS}s`] = Math.round((await predict(session, row, 1))[0]! * 1e4) / 1e4
  }
  return out
}

/**
 * Recorded lab traces join the dataset, all in the test split: they are few, and this way the
 * model is measured on real probes it never trained on (the generator supplies the training).
 */
function addRecorded(manifest: Manifest): Manifest {
  if (!existsSync(recordedDir)) return manifest
  const names = listTraces(recordedDir)
  if (names.length === 0) return manifest
  for (const name of names) {
    for (const ext of ['.csv', '.events.csv', '.bfd.csv']) {
      const from = join(recordedDir, `${name}${ext}`)
      if (existsSync(from)) copyFileSync(from, join(traceDir, `${name}${ext}`))
    }
    manifest.traces.push({ name, split: 'test', recorded: true })
  }
  manifest.source = 'mixed'
  writeFileSync(join(traceDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`)
  return manifest
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2))
  let t = performance.now()
  const lap = () => {
    const s = ((performance.now() - t) / 1000).toFixed(1)
    t = performance.now()
    return `${s} s`
  }
  let manifest: Manifest
  if (args.has('--skip-generate') && existsSync(join(traceDir, 'manifest.json'))) {
    manifest = JSON.parse(readFileSync(join(traceDir, 'manifest.json'), 'utf8')) as Manifest
  } else {
    rmSync(traceDir, { recursive: true, force: true })
    manifest = addRecorded(generateDataset(traceDir, DEFAULT_DATASET))
  }
  log(`dataset: ${manifest.traces.length} traces (${lap()})`)

  const { summary, kept } = exportDataset(traceDir, manifest, exportDir, ['val', 'test'])
  for (const [split, s] of Object.entries(summary.splits)) {
    log(`export ${split}: ${s.traces.length} traces, ${s.rows} rows, ${s.positives} positive`)
  }
  log(`export done (${lap()})`)

  mkdirSync(modelDir, { recursive: true })
  const onnxPath = join(modelDir, 'model.onnx')
  const trainLog = join(modelDir, 'training.json')
  if (!(args.has('--skip-train') && existsSync(onnxPath))) {
    execFileSync(PYTHON, [join(here, 'train_mlp.py'), exportDir, onnxPath, trainLog], {
      stdio: 'inherit',
    })
  }
  log(`training done (${lap()})`)

  const bytes = readFileSync(onnxPath)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const session = await loadSession(onnxPath)
  const val = await scoreReplays(session, kept.val ?? [])
  const chosen = pickThreshold(val, DEFAULT_HORIZON_MS, MAX_FA_VAL)
  log(`threshold ${chosen.threshold.toFixed(4)} on validation: ${JSON.stringify(chosen)}`)
  const testReplays = kept.test ?? []
  const testScored = await scoreReplays(session, testReplays)
  const test = evaluate(testScored, {
    threshold: chosen.threshold,
    horizonMs: DEFAULT_HORIZON_MS,
  })
  const reactive = evaluate(testReplays.map(reactiveBaseline), {
    threshold: 0.5,
    horizonMs: DEFAULT_HORIZON_MS,
  })
  const thresholds = evaluate(testReplays.map(thresholdBaseline), {
    threshold: 0.5,
    horizonMs: DEFAULT_HORIZON_MS,
  })
  const testWarmup = warmupMetrics(testScored, {
    threshold: chosen.threshold,
    horizonMs: DEFAULT_HORIZON_MS,
  })
  const warmupRamp = await scoreRampProbe(session)
  log(`test: ${JSON.stringify(test)}`)
  log(`test, warm-up events: ${JSON.stringify(testWarmup)}`)
  log(`queue ramp P 2 s before the cut, by ramp start: ${JSON.stringify(warmupRamp)}`)
  log(`reactive: ${JSON.stringify(reactive)}`)
  log(`thresholds: ${JSON.stringify(thresholds)}`)

  const model: ModelJson = {
    id: MODEL_NAME,
    sha256,
    file: 'model.onnx',
    input: INPUT_NAME,
    output: OUTPUT_NAME,
    featureNames: FEATURE_NAMES,
    featureCount: FEATURE_COUNT,
    tickMs: DEFAULT_TICK_MS,
    horizonMs: DEFAULT_HORIZON_MS,
    threshold: Math.round(chosen.threshold * 1e6) / 1e6,
    trainedBy: 'npm run models:train',
    test,
    testWarmup,
    warmupRamp,
  }
  writeFileSync(join(modelDir, 'model.json'), `${JSON.stringify(model, null, 2)}\n`)
  const training = JSON.parse(readFileSync(trainLog, 'utf8')) as Record<string, unknown>
  writeModelCard(join(modelDir, 'README.md'), {
    model,
    bytes: bytes.length,
    manifest,
    summary,
    validation: chosen,
    baselines: { reactive, thresholds },
    training,
    maxFaVal: MAX_FA_VAL,
  })
  await writeFixtures(join(here, 'fixtures'), session, model)
  // The committed JSON must pass `biome check .` as written, so the next run is no diff.
  execFileSync(
    'npx',
    [
      'biome',
      'format',
      '--write',
      join(modelDir, 'model.json'),
      trainLog,
      join(here, 'fixtures', 'fixture.json'),
      join(here, 'fixtures', 'outputs.json'),
    ],
    { stdio: 'ignore' },
  )
  log(`wrote ${modelDir} and models/fixtures (${lap()})`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
