/**
 * The predictor: one PathFeatureWindow per monitored path, fed with every quality-probe
 * outcome and BFD transition the path monitor observes, and every `intervalMs` (100 ms) ONE
 * model run over all paths (a batch of rows x FEATURE_COUNT), giving P(failure or SLA
 * violation within the model's horizon) per path. A path is flagged while P >= the model's
 * threshold; the path selector does the rest (hysteresis, hold-down, failback).
 *
 * Windows are fed whether or not a model is loaded, so a model that arrives later (or is
 * swapped) scores paths with their full history at once. With no model nothing is flagged:
 * the agent is reactive-only. A failing run clears the flags (a broken model must not pin
 * traffic away from a path) and is logged once per streak.
 */
import type { AgentEvent } from '../../protocol/telemetry'
import type { Clock } from '../clock'
import type { DecisionEvent, PathRef } from '../decision'
import type { Logger } from '../logger'
import type { PathPredictions } from '../pathmon/predictions'
import { PredictionEpisodes } from './events'
import { FEATURE_COUNT, PathFeatureWindow, type ProbeSample } from './features'
import type { PredictionModel } from './model'

export const PREDICT_INTERVAL_MS = 100

export interface PredictorOptions {
  clock: Clock
  logger: Logger
  intervalMs?: number
  /** Called after a scoring round in which some path's flag changed. */
  onFlagsChanged?: () => void
}

interface PathEntry {
  window: PathFeatureWindow
  probability: number | null
  flagged: boolean
}

export class Predictor implements PathPredictions {
  readonly #o: PredictorOptions
  readonly #log: Logger
  readonly #paths = new Map<string, PathEntry>()
  #model: PredictionModel | null = null
  #buffer = new Float32Array(0)
  #running: Promise<void> | undefined
  #loop: Promise<void> | undefined
  readonly #stop = new AbortController()
  #failing = false
  /** Last round's inference time (ms) and count of rounds, for /metrics. */
  lastInferenceMs: number | null = null
  rounds = 0
  readonly #roundListeners = new Set<(ms: number) => void>()
  readonly #episodes = new PredictionEpisodes()

  constructor(options: PredictorOptions) {
    this.#o = options
    this.#log = options.logger.child({ component: 'predict' })
  }

  get model(): PredictionModel | null {
    return this.#model
  }

  /** Swaps the model (null: reactive-only); flags are recomputed at the next round. */
  setModel(model: PredictionModel | null): void {
    this.#model = model
    if (!model) this.#clear()
  }

  /** The monitored paths by key; windows of kept paths survive, others are dropped. */
  setPaths(keys: readonly string[]): void {
    const wanted = new Set(keys)
    for (const key of this.#paths.keys()) if (!wanted.has(key)) this.#paths.delete(key)
    for (const key of keys) this.#entry(key)
  }

  observeProbe(key: string, sample: ProbeSample): void {
    this.#entry(key).window.addProbe(sample)
  }

  observeBfd(key: string, tMs: number, up: boolean): void {
    this.#entry(key).window.addBfdState(tMs, up)
  }

  probability(key: string): number | null {
    return this.#paths.get(key)?.probability ?? null
  }

  flagged(key: string): boolean {
    return this.#paths.get(key)?.flagged ?? false
  }

  /** [key, P] of every scored path. */
  probabilities(): [string, number][] {
    const out: [string, number][] = []
    for (const [key, e] of this.#paths) if (e.probability !== null) out.push([key, e.probability])
    return out
  }

  /** path.predicted_degradation events of one evaluation (the path monitor queues them). */
  events(
    now: number,
    paths: readonly { key: string; ref: PathRef }[],
    decisions: readonly DecisionEvent[],
  ): AgentEvent[] {
    const model = this.#model
    const out = this.#episodes.update(
      now,
      paths.map((p) => ({
        key: p.key,
        ref: p.ref,
        flagged: this.flagged(p.key),
        probability: this.probability(p.key),
      })),
      decisions,
      model && { id: model.id, threshold: model.threshold, horizonMs: model.horizonMs },
    )
    for (const e of out) this.#log.warn({ path: e.path, ...e.details }, 'predicted degradation')
    return out
  }

  onRound(listener: (ms: number) => void): () => void {
    this.#roundListeners.add(listener)
    return () => this.#roundListeners.delete(listener)
  }

  /** Starts the 100 ms loop (idempotent). */
  start(): void {
    if (this.#loop) return
    const signal = this.#stop.signal
    const interval = this.#o.intervalMs ?? PREDICT_INTERVAL_MS
    this.#loop = (async () => {
      while (!signal.aborted) {
        await this.score()
        await this.#o.clock.sleep(interval, signal)
      }
    })()
  }

  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#loop
    await this.#running
  }

  /** One round: every path scored in one batch. Rounds never overlap. */
  score(): Promise<void> {
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #round(): Promise<void> {
    const model = this.#model
    if (!model || this.#paths.size === 0) return
    const now = this.#o.clock.now()
    const entries = [...this.#paths.values()]
    const rows = entries.length
    if (this.#buffer.length < rows * FEATURE_COUNT) {
      this.#buffer = new Float32Array(rows * FEATURE_COUNT * 2)
    }
    for (let i = 0; i < rows; i++) {
      entries[i]!.window.writeFeatures(now, this.#buffer, i * FEATURE_COUNT)
    }
    const started = performance.now()
    let p: Float32Array
    try {
      p = await model.score(this.#buffer, rows)
    } catch (error) {
      if (!this.#failing) {
        this.#log.error({ model: model.id, err: (error as Error).message }, 'prediction failed')
      }
      this.#failing = true
      this.#clear()
      return
    }
    const ms = performance.now() - started
    if (this.#failing) this.#log.info({ model: model.id }, 'prediction works again')
    this.#failing = false
    // The model may have been swapped while it ran: these flags belong to the old one.
    if (this.#model !== model) return
    this.lastInferenceMs = ms
    this.rounds++
    let changed = false
    // What the model saw, at trace level only (debugging a model in the field or the lab).
    const trace = this.#log.isLevelEnabled('trace')
    const keys = trace ? [...this.#paths.keys()] : []
    entries.forEach((e, i) => {
      const probability = p[i] ?? 0
      if (trace) {
        const row = this.#buffer.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)
        this.#log.trace(
          {
            path: keys[i],
            p: probability,
            features: Array.from(row, (v) => Math.round(v * 1e4) / 1e4),
          },
          'prediction',
        )
      }
      const flagged = probability >= model.threshold
      if (flagged !== e.flagged) changed = true
      e.probability = probability
      e.flagged = flagged
    })
    for (const l of this.#roundListeners) l(ms)
    if (changed) this.#o.onFlagsChanged?.()
  }

  #clear(): void {
    let changed = false
    for (const e of this.#paths.values()) {
      if (e.flagged) changed = true
      e.flagged = false
      e.probability = null
    }
    if (changed) this.#o.onFlagsChanged?.()
  }

  #entry(key: string): PathEntry {
    let e = this.#paths.get(key)
    if (!e) {
      e = { window: new PathFeatureWindow(), probability: null, flagged: false }
      this.#paths.set(key, e)
    }
    return e
  }
}
