/**
 * `npm run bench:predict [-- --traces DIR] [--no-lab]`: the failure predictor against its two baselines
 * in the same run, on the same replayed traces (models/README.md has every definition):
 *
 * - model: the shipped model (models/train.ts MODEL_NAME) at its threshold, through onnxruntime-node;
 * - reactive (BFD): an alarm only while BFD has the path down;
 * - thresholds: 1 s mean RTT > 100 ms or 10 s loss > 5%.
 *
 * Traces: the test split of the generated dataset (regenerated, deterministic, when
 * models/data is absent), or an operator's directory in the trace format (its manifest's test
 * traces, or all of them; traces without an events file get labels derived from the probes).
 * Also: inference cost per batch of 64 paths (model, and the feature module), and the lab
 * figures from bench/predict/lab.ts when run as root. Writes bench/results/predict.json and the
 * bench:predict section of docs/benchmarks.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { FEATURE_COUNT, PathFeatureWindow } from '../agent/predict/features.ts'
import { reactiveBaseline, thresholdBaseline } from '../models/evaluate/baselines.ts'
import { evaluate, type Metrics } from '../models/evaluate/metrics.ts'
import { loadSession, scoreReplays } from '../models/evaluate/score.ts'
import { WARMUP_MS, warmupMetrics } from '../models/evaluate/warmup.ts'
import { DEFAULT_DATASET, generateDataset, readManifest } from '../models/generate/dataset.ts'
import { deriveEvents } from '../models/trace/derive-events.ts'
import { listTraces, readTrace } from '../models/trace/format.ts'
import { type Replay, replayTrace } from '../models/trace/replay.ts'
import { MODEL_NAME, type ModelJson } from '../models/train.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MODEL_DIR = join(root, 'models', MODEL_NAME)
const GENERATED = join(root, 'models', 'data', 'generated')
const RESULTS = join(root, 'bench', 'results', 'predict.json')
const DOC = join(root, 'docs', 'benchmarks.md')
const LAB = join(root, 'bench', 'predict', 'lab.ts')
const START = '<!-- bench:predict:start -->'
const END = '<!-- bench:predict:end -->'

const log = (msg: string) => console.log(`[bench:predict] ${msg}`)

/** Precursor failures that start in a trace's first minute, windows still filling. */
interface Warmup {
  precursorFailures: number
  predictedPrecursor: number
  recallPrecursor: number | null
  medianLeadS: number | null
}

const warmupSummary = (m: Metrics): Warmup => ({
  precursorFailures: m.precursorFailures,
  predictedPrecursor: m.predictedPrecursor,
  recallPrecursor: m.recallPrecursor,
  medianLeadS: m.medianLeadS,
})

interface Summary {
  precision: number | null
  recall: number | null
  recallPrecursor: number | null
  prAuc: number | null
  medianLeadS: number | null
  medianDetectionS: number | null
  falseAlarmsPerPathHour: number
  events: number
  precursorFailures: number
  falseAlarms: number
  episodes: number
  pathHours: number
}

const summary = (m: Metrics): Summary => ({
  precision: m.precision,
  recall: m.recall,
  recallPrecursor: m.recallPrecursor,
  prAuc: m.prAuc,
  medianLeadS: m.medianLeadS,
  medianDetectionS: m.medianDetectionS,
  falseAlarmsPerPathHour: m.falseAlarmsPerPathHour,
  events: m.events,
  precursorFailures: m.precursorFailures,
  falseAlarms: m.falseAlarms,
  episodes: m.episodes,
  pathHours: m.pathHours,
})

function loadReplays(tracesArg: string | null): {
  replays: Replay[]
  source: string
  recorded: Set<string>
} {
  let dir = tracesArg
  if (!dir) {
    dir = GENERATED
    if (!readManifest(dir)) {
      log(`no ${dir}: generating the dataset (seed ${DEFAULT_DATASET.seed})`)
      generateDataset(dir, DEFAULT_DATASET)
    }
  }
  const manifest = readManifest(dir)
  const tests = manifest?.traces.filter((t) => t.split === 'test').map((t) => t.name)
  const names = tests && tests.length > 0 ? tests : listTraces(dir)
  let derived = 0
  const replays = names.map((name) => {
    const trace = readTrace(dir, name)
    if (!trace.hasEvents) {
      trace.events = deriveEvents(trace.probes)
      derived++
    }
    return replayTrace(trace)
  })
  const what = tracesArg
    ? `${names.length} traces from ${tracesArg}`
    : `test split, ${names.length} traces`
  const recorded = new Set(manifest?.traces.filter((t) => t.recorded).map((t) => t.name) ?? [])
  return {
    replays,
    source: derived > 0 ? `${what} (${derived} with labels derived from probes)` : what,
    recorded,
  }
}

/** ms per call, median of `runs` after warm-up. */
async function timeIt(runs: number, f: () => Promise<void> | void): Promise<number> {
  for (let i = 0; i < 50; i++) await f()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const s = performance.now()
    await f()
    times.push(performance.now() - s)
  }
  times.sort((a, b) => a - b)
  return times[times.length >> 1]!
}

async function inferenceCost(session: ort.InferenceSession, model: ModelJson) {
  // 64 paths with a full minute of 20 Hz history, some lossy, the agent's steady state.
  const paths = Array.from({ length: 64 }, () => new PathFeatureWindow())
  let t = 0
  for (let step = 1; step <= 1_300; step++) {
    t = step * 50
    for (const [i, p] of paths.entries()) {
      p.addProbe({
        tMs: t,
        seq: step,
        rttMs: (step + i) % 29 === 0 ? null : 20 + ((step * 7 + i) % 11),
      })
    }
  }
  const batch = new Float32Array(64 * FEATURE_COUNT)
  const featureMs = await timeIt(2_000, () => {
    for (let i = 0; i < 64; i++) paths[i]!.writeFeatures(t, batch, i * FEATURE_COUNT)
  })
  // A fresh tensor per call and the output read, as the agent does every 100 ms.
  let sink = 0
  const modelMs = await timeIt(2_000, async () => {
    const out = await session.run({
      [model.input]: new ort.Tensor('float32', batch, [64, FEATURE_COUNT]),
    })
    const probability = out[model.output]
    if (!probability) throw new Error(`model has no output ${model.output}`)
    sink += (probability.data as Float32Array)[0] ?? 0
  })
  if (!Number.isFinite(sink)) throw new Error('model output is not finite')
  return { modelMs, featureMs }
}

interface LabFigures {
  lostReactive: number
  lostPredictive: number
  /** Everything bench/predict/lab.ts returned (moves, flags, BFD), to read the two numbers by. */
  detail: Record<string, unknown>
}

async function labFigures(skip: boolean): Promise<LabFigures | null> {
  if (skip) {
    log('--no-lab: the lab part is not run')
    return null
  }
  if (process.getuid?.() !== 0) {
    log('not root: the lab part (bench/predict/lab.ts) is not run')
    return null
  }
  if (!existsSync(LAB)) {
    log('bench/predict/lab.ts is absent: no lab figures')
    return null
  }
  const lab = (await import(LAB)) as {
    measurePredictiveLab?: (options?: {
      log?: (m: string) => void
    }) => Promise<{ lostReactive: number; lostPredictive: number }>
  }
  if (!lab.measurePredictiveLab) return null
  try {
    const r = await lab.measurePredictiveLab({ log: (m) => log(`lab: ${m}`) })
    log(`lab: ${JSON.stringify(r)}`)
    return { lostReactive: r.lostReactive, lostPredictive: r.lostPredictive, detail: r }
  } catch (error) {
    // The offline figures stand on their own; a lab failure is reported, not fatal.
    console.error('[bench:predict] lab run failed:', error)
    return null
  }
}

const f = (x: number | null | undefined, d = 2) =>
  x === null || x === undefined ? 'n/a' : x.toFixed(d)
const met = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : 'missed')

function markdown(r: {
  date: string
  source: string
  model: ModelJson
  m: Summary
  warmup: Warmup
  reactive: Summary
  thresholds: Summary
  lab: LabFigures | null
  labSubset: { traces: number; model: Summary; reactive: Summary; thresholds: Summary } | null
  modelMs: number
  featureMs: number
  tracesArg: string | null
}): string {
  const row = (name: string, s: Summary) =>
    `| ${name} | ${f(s.precision)} | ${f(s.recall)} | ${f(s.recallPrecursor)} | ${f(s.prAuc, 3)} | ${f(s.medianLeadS, 1)} | ${f(s.medianDetectionS, 1)} | ${f(s.falseAlarmsPerPathHour)} |`
  const labReduction =
    r.lab && r.lab.lostReactive > 0 ? 1 - r.lab.lostPredictive / r.lab.lostReactive : null
  const cmd = r.tracesArg
    ? `npm run bench:predict -- --traces ${r.tracesArg}`
    : 'npm run bench:predict'
  return `${START}
## Failure prediction

Generated by \`${cmd}\` (bench/predict.ts) on ${r.date}, ${cpus().length} cores; raw figures
in \`bench/results/predict.json\`. Model \`${r.model.id}\` (sha256 \`${r.model.sha256.slice(0, 12)}...\`,
threshold ${r.model.threshold}) on ${r.source}: ${r.m.events} events, ${r.m.precursorFailures}
precursor failures, ${f(r.m.pathHours, 1)} scored path-hours. Definitions in models/README.md
("Metrics"): recall counts an event only when the alarm came before it; lead is the median
over predicted precursor failures; detection is the median lead over every event caught from
5 s before to 5 s after its start (negative: after the start). Baselines run on the same
replays in the same run.

| detector | precision | recall | precursor recall | PR-AUC | median lead (s) | detection (s) | false alarms / path-hour |
|---|---|---|---|---|---|---|---|
${row(r.model.id, r.m)}
${row('reactive (BFD down)', r.reactive)}
${row('thresholds (RTT > 100 ms or loss > 5%)', r.thresholds)}
${
  r.labSubset
    ? `
Of these, the ${r.labSubset.traces} traces recorded in the WAN lab (\`npm run models:record\`: the agent's
probes and BFD under scripted queue build-up, loss ramp, cut, brownout; never trained on):
${r.labSubset.model.events} events, ${r.labSubset.model.precursorFailures} precursor failures.

| detector | precision | recall | precursor recall | PR-AUC | median lead (s) | detection (s) | false alarms / path-hour |
|---|---|---|---|---|---|---|---|
${row(r.model.id, r.labSubset.model)}
${row('reactive (BFD down)', r.labSubset.reactive)}
${row('thresholds (RTT > 100 ms or loss > 5%)', r.labSubset.thresholds)}
`
    : ''
}
Reading the rows: the fixed thresholds see nearly every precursor failure, but at
${f(r.thresholds.falseAlarmsPerPathHour, 1)} false alarms per path-hour (every path with a normal RTT near 100 ms, every
Gilbert-Elliott burst); reactive BFD alarms on bursts of 3 lost probes and only "predicts" an
event when an earlier outage left BFD down within 5 s of it. Abrupt events (cuts, flaps, step
brownouts) stay unpredicted by design; they are why overall recall is far below precursor
recall. The recorded subset is small (${f(r.labSubset?.model.pathHours ?? 0, 2)} scored path-hours): a sanity check on real
probes, not a statistic. The lab figures are one run per mode.

Warm-up (events starting in the first ${WARMUP_MS / 1000} s of a trace, while the 60 s windows fill, as after an
agent restart): ${r.warmup.predictedPrecursor} of ${r.warmup.precursorFailures} precursor failures predicted (recall
${f(r.warmup.recallPrecursor)}, median lead ${f(r.warmup.medianLeadS, 1)} s).

Inference per batch of 64 paths: model ${f(r.modelMs, 3)} ms (onnxruntime-node, one thread),
features ${f(r.featureMs, 3)} ms (agent/predict/features.ts, 60 s of 20 Hz history per path),
${f(r.modelMs + r.featureMs, 3)} ms together.

Lab (bench/predict/lab.ts, 1,000 packets/s stream, queue build-up then a cut): ${
    r.lab
      ? `${r.lab.lostReactive} packets lost reactive, ${r.lab.lostPredictive} predictive.`
      : 'not run (needs root and bench/predict/lab.ts); `"lab": null` in the results.'
  }

| goal | target | measured | |
|---|---|---|---|
| precursor recall | >= 0.8 | ${f(r.m.recallPrecursor)} | ${met(r.m.recallPrecursor === null ? null : r.m.recallPrecursor >= 0.8)} |
| median lead, precursor failures | >= 2 s | ${f(r.m.medianLeadS, 1)} s | ${met(r.m.medianLeadS === null ? null : r.m.medianLeadS >= 2)} |
| precursor recall, warm-up (first minute) | (not an issue goal) | ${f(r.warmup.recallPrecursor)} | |
| false alarms | <= 1 per path-hour | ${f(r.m.falseAlarmsPerPathHour)} | ${met(r.m.falseAlarmsPerPathHour <= 1)} |
| lab: packets lost vs reactive | >= 90% fewer | ${labReduction === null ? 'n/a' : `${f(labReduction * 100, 0)}% fewer`} | ${met(labReduction === null ? null : labReduction >= 0.9)} |
| inference, batch of 64 | < 1 ms | ${f(r.modelMs, 3)} ms (+ ${f(r.featureMs, 3)} ms features) | ${met(r.modelMs + r.featureMs < 1)} |
${END}`
}

function writeSection(md: string): void {
  const current = readFileSync(DOC, 'utf8')
  const a = current.indexOf(START)
  const b = current.indexOf(END)
  const next =
    a >= 0 && b > a
      ? current.slice(0, a) + md + current.slice(b + END.length)
      : `${current.replace(/\n*$/, '\n')}\n${md}\n`
  writeFileSync(DOC, next)
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const i = argv.indexOf('--traces')
  const tracesArg = i >= 0 ? (argv[i + 1] ?? null) : null
  if (i >= 0 && !tracesArg) throw new Error('--traces needs a directory')
  const model = JSON.parse(readFileSync(join(MODEL_DIR, 'model.json'), 'utf8')) as ModelJson
  const session = await loadSession(join(MODEL_DIR, model.file))
  const { replays, source, recorded } = loadReplays(tracesArg)
  log(`scoring ${source}`)
  const opts = { horizonMs: model.horizonMs, threshold: model.threshold }
  const scored = await scoreReplays(session, replays)
  const m = summary(evaluate(scored, opts))
  const warmup = warmupSummary(warmupMetrics(scored, opts))
  const reactive = summary(evaluate(replays.map(reactiveBaseline), { ...opts, threshold: 0.5 }))
  const thresholds = summary(evaluate(replays.map(thresholdBaseline), { ...opts, threshold: 0.5 }))
  // The lab-recorded traces of the test split on their own: real probes, few events.
  const labIdx = replays.flatMap((r, k) => (recorded.has(r.name) ? [k] : []))
  const labReplays = labIdx.map((k) => replays[k]!)
  const labSubset =
    labIdx.length === 0
      ? null
      : {
          traces: labIdx.length,
          model: summary(
            evaluate(
              labIdx.map((k) => scored[k]!),
              opts,
            ),
          ),
          reactive: summary(
            evaluate(labReplays.map(reactiveBaseline), { ...opts, threshold: 0.5 }),
          ),
          thresholds: summary(
            evaluate(labReplays.map(thresholdBaseline), { ...opts, threshold: 0.5 }),
          ),
        }
  const { modelMs, featureMs } = await inferenceCost(session, model)
  log(`model ${JSON.stringify(m)}`)
  log(`inference ${modelMs.toFixed(3)} ms + features ${featureMs.toFixed(3)} ms per 64 paths`)
  const lab = await labFigures(argv.includes('--no-lab'))
  const round = (x: number) => Math.round(x * 1000) / 1000
  const results = {
    date: new Date().toISOString(),
    traces: source,
    modelId: model.id,
    sha256: model.sha256,
    threshold: model.threshold,
    horizonS: model.horizonMs / 1000,
    model: m,
    warmup,
    baselines: { reactive, thresholds },
    recordedSubset: labSubset,
    lab: lab ? { lostReactive: lab.lostReactive, lostPredictive: lab.lostPredictive } : null,
    labDetail: lab?.detail ?? null,
    inferenceMsPerBatch64: round(modelMs),
    featureMsPerBatch64: round(featureMs),
    totalMsPerBatch64: round(modelMs + featureMs),
  }
  mkdirSync(dirname(RESULTS), { recursive: true })
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
  writeSection(
    markdown({
      date: results.date.slice(0, 10),
      source,
      model,
      m,
      warmup,
      reactive,
      thresholds,
      lab,
      labSubset,
      modelMs,
      featureMs,
      tracesArg,
    }),
  )
  log(`wrote ${RESULTS} and the bench:predict section of docs/benchmarks.md`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
