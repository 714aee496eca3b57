/**
 * The scorer plugins of the running agent. On each desired state (`want`), for every scorer
 * a `custom` policy names, it makes the version the desired state names run in a sandbox:
 * verified bytes from the cache or the control plane (store.ts), a supervised sandbox
 * (runtime.ts), swapped in once loaded (the previous version serves until then: a hot swap),
 * closed when no policy names it any more. It never runs a version the desired state does
 * not name: if the named one cannot be had, the scorer falls back, as models do.
 *
 * Before each decision (`annotate`), every scorer that is needed scores the paths that are up
 * in one batch, within its time budget, and the scores go onto the path inputs
 * (PathInput.customScores) for the path selector, which stays pure and synchronous. A
 * scorer that cannot score (loading, missing, refused, over budget, crashed, failing) leaves
 * no scores, so its classes are scored lowest-latency in that evaluation; the change of
 * state is logged and reported once as a `scorer.fallback` event (fallbacks.ts) and every
 * evaluation that falls back is counted (metrics.ts).
 */
import type { DesiredState, ScorerRef } from '../../protocol/agent'
import type { AgentEvent } from '../../protocol/telemetry'
import type { Clock } from '../clock'
import { type PathInput, scorerInput } from '../decision'
import type { Logger } from '../logger'
import { type FallbackDetails, FallbackLog } from './fallbacks'
import { PluginRuntime, type RuntimeOptions } from './runtime'
import type { Failure, FailureReason, SandboxOptions, ScoreOutcome } from './sandbox'
import { METRICS_PER_PATH } from './sandbox-protocol'
import type { ScorerStore } from './store'

export const SCORER_RETRY_MS = 30_000

export interface ScorerObserver {
  /** A batch went to a plugin and came back (or timed out) after `seconds`. */
  call(scorer: string, seconds: number): void
  /** An evaluation scored the scorer's classes lowest-latency for `reason`. */
  fallback(scorer: string, reason: FailureReason): void
}

export interface ScorerManagerOptions {
  store: Pick<ScorerStore, 'get' | 'prune'>
  clock: Clock
  logger: Logger
  /** Sandbox settings (budget, limits); tests shorten them. */
  sandbox?: Omit<SandboxOptions, 'clock'> & Pick<RuntimeOptions, 'restartMs' | 'maxRestartMs'>
  /** Called when a plugin starts or stops being usable: re-evaluate now, not at the next tick. */
  onChange?: () => void
  retryMs?: number
  fallbackQuietMs?: number
}

interface Running {
  ref: ScorerRef
  runtime: PluginRuntime
}

interface Entry {
  /** Ids of the classes (policies) that name this scorer. */
  classes: string[]
  /** The version the desired state names (undefined: it names none). */
  wanted: ScorerRef | undefined
  running: Running | undefined
  /** The version being loaded, so that a repeated desired state does not load it twice. */
  loading: ScorerRef | undefined
  /** Why the wanted version cannot run, once known. */
  failure: Failure | undefined
  retry: AbortController | undefined
}

export class ScorerManager {
  readonly #o: ScorerManagerOptions
  readonly #log: Logger
  readonly #entries = new Map<string, Entry>()
  readonly #fallbacks: FallbackLog
  readonly #observers = new Set<ScorerObserver>()
  #loads = new Set<Promise<void>>()
  #closed = false

  constructor(options: ScorerManagerOptions) {
    this.#o = options
    this.#log = options.logger.child({ component: 'scorers' })
    this.#fallbacks = new FallbackLog(options.fallbackQuietMs)
  }

  observe(observer: ScorerObserver): void {
    this.#observers.add(observer)
  }

  /** The versions in use, by scorer name (metrics). */
  running(): { name: string; id: string; sha256: string }[] {
    return [...this.#entries].flatMap(([name, e]) =>
      e.running ? [{ name, id: e.running.ref.id, sha256: e.running.ref.sha256 }] : [],
    )
  }

  /** Why each scorer that fell back in the last evaluation did (metrics, status). */
  get fallbacks(): ReadonlyMap<string, FailureReason> {
    return this.#fallbacks.states
  }

  /**
   * Takes a desired state's scorers. What is needed is known when this returns (the
   * evaluation that follows a reconfig already falls back for what is missing); the promise
   * settles when the loads it started have.
   */
  /** The scorer names of the last want(), to log a change once. */
  #namedBefore = ''

  want(desired: Pick<DesiredState, 'policies' | 'scorers'>): Promise<void> {
    if (this.#closed) return Promise.resolve()
    const refs = new Map((desired.scorers ?? []).map((r) => [r.name, r]))
    const needed = new Map<string, string[]>()
    for (const p of desired.policies) {
      if (p.action.preference !== 'custom' || !p.action.scorer) continue
      needed.set(p.action.scorer, [...(needed.get(p.action.scorer) ?? []), p.id])
    }
    for (const [name, entry] of this.#entries) {
      if (needed.has(name)) continue
      this.#stop(entry)
      this.#entries.delete(name)
      this.#log.info({ scorer: name }, 'scorer plugin no longer named: stopped')
    }
    this.#fallbacks.retain(new Set(needed.keys()))
    const names = [...needed.keys()].sort().join(',')
    if (names !== this.#namedBefore) {
      this.#log.info({ scorers: [...needed.keys()].sort() }, 'scorer plugins named by policies')
      this.#namedBefore = names
    }
    const started: Promise<void>[] = []
    for (const [name, classes] of needed) {
      const entry = this.#entries.get(name) ?? newEntry()
      this.#entries.set(name, entry)
      entry.classes = classes
      entry.wanted = refs.get(name)
      const wanted = entry.wanted
      if (!wanted) {
        this.#stop(entry)
        entry.failure = {
          ok: false,
          reason: 'missing',
          message: `the desired state names no version of scorer ${name}`,
        }
        continue
      }
      if (entry.running && same(entry.running.ref, wanted)) continue
      if (entry.loading && same(entry.loading, wanted)) continue
      // A failure was about the version named before; this one is loading until known.
      entry.failure = undefined
      started.push(this.#track(this.#load(name, entry, wanted)))
    }
    void this.#o.store.prune([...refs.values()]).catch(() => {})
    return Promise.all(started).then(() => {})
  }

  /**
   * Puts every needed scorer's scores onto the inputs (one batch per scorer, the up paths;
   * down paths get NaN, never chosen anyway) and returns the events of this evaluation.
   * Never rejects; resolves within the largest scorer budget.
   */
  async annotate(inputs: PathInput[], now: number): Promise<AgentEvent[]> {
    const up = inputs.flatMap((p, i) => (p.up ? [i] : []))
    const events: AgentEvent[] = []
    await Promise.all(
      [...this.#entries].map(async ([name, entry]) => {
        const outcome = await this.#score(name, entry, inputs, up)
        if (outcome.ok) {
          const scores = new Array<number>(inputs.length).fill(Number.NaN)
          up.forEach((i, k) => {
            scores[i] = outcome.scores[k]!
          })
          inputs.forEach((p, i) => {
            p.customScores = { ...p.customScores, [name]: scores[i]! }
          })
          const t = this.#fallbacks.ok(name)
          if (t.kind === 'recovered')
            this.#log.info({ scorer: name, from: t.from }, 'scorer plugin scoring again')
          return
        }
        for (const o of this.#observers) o.fallback(name, outcome.reason)
        const details: FallbackDetails = {
          message: outcome.message,
          scorerId: entry.wanted?.id ?? null,
          classes: entry.classes,
        }
        const t = this.#fallbacks.fallback(name, outcome.reason, now, details)
        if (t.kind !== 'fallback') return
        const fields = {
          scorer: name,
          reason: outcome.reason,
          err: outcome.message,
          classes: entry.classes,
        }
        if (outcome.reason === 'loading')
          this.#log.info(fields, 'scorer plugin loading: lowest-latency meanwhile')
        else this.#log.warn(fields, 'scorer plugin unusable: its classes are scored lowest-latency')
        if (t.event) events.push(t.event)
      }),
    )
    return events
  }

  /** Stops every plugin and retry; waits for loads in flight. */
  async close(): Promise<void> {
    this.#closed = true
    for (const entry of this.#entries.values()) this.#stop(entry)
    await Promise.all([...this.#loads])
    this.#entries.clear()
  }

  async #score(
    name: string,
    entry: Entry,
    inputs: readonly PathInput[],
    up: number[],
  ): Promise<ScoreOutcome> {
    const running = entry.running
    if (!running) {
      return entry.failure ?? { ok: false, reason: 'loading', message: `scorer ${name} is loading` }
    }
    if (up.length === 0) return { ok: true, scores: new Float64Array(0) }
    const metrics = new Float64Array(up.length * METRICS_PER_PATH)
    up.forEach((i, k) => {
      const m = scorerInput(inputs[i]!)
      metrics.set(
        [m.latencyMs, m.jitterMs, m.loss, m.bandwidthMbps, m.cost, m.mos],
        k * METRICS_PER_PATH,
      )
    })
    const started = performance.now()
    const outcome = await running.runtime.score(metrics, up.length)
    if (outcome.called) {
      const seconds = (performance.now() - started) / 1000
      for (const o of this.#observers) o.call(name, seconds)
    }
    return outcome
  }

  #track(load: Promise<void>): Promise<void> {
    this.#loads.add(load)
    void load.finally(() => this.#loads.delete(load))
    return load
  }

  async #load(name: string, entry: Entry, ref: ScorerRef): Promise<void> {
    entry.loading = ref
    entry.retry?.abort()
    // Still wanted (the same version: each desired state brings new objects for it).
    const current = () =>
      !this.#closed &&
      this.#entries.get(name) === entry &&
      entry.wanted !== undefined &&
      same(entry.wanted, ref)
    let bytes: Uint8Array
    let source: string
    try {
      ;({ bytes, source } = await this.#o.store.get(ref))
    } catch (error) {
      if (entry.loading === ref) entry.loading = undefined
      if (!current()) return
      this.#unusable(entry, 'missing', (error as Error).message)
      this.#scheduleRetry(name, entry, ref)
      return
    }
    let runtime: PluginRuntime
    try {
      runtime = new PluginRuntime(bytes, {
        ...this.#o.sandbox,
        clock: this.#o.clock,
        onRecovered: () => this.#o.onChange?.(),
      })
    } catch (error) {
      // No thread to be had (resources): like a crash, tried again later.
      if (entry.loading === ref) entry.loading = undefined
      if (!current()) return
      this.#unusable(entry, 'crashed', `start the scorer sandbox: ${(error as Error).message}`)
      this.#scheduleRetry(name, entry, ref)
      return
    }
    const loaded = await runtime.loaded
    if (entry.loading === ref) entry.loading = undefined
    if (!current()) {
      await runtime.close()
      return
    }
    if (!loaded.ok && loaded.reason === 'invalid') {
      await runtime.close()
      this.#unusable(entry, 'invalid', loaded.message)
      return
    }
    // Loaded, or failed in a way its supervisor retries (timeout, crash): it runs now.
    const old = entry.running
    entry.running = { ref, runtime }
    entry.failure = undefined
    if (old) void old.runtime.close()
    this.#log.info(
      { scorer: name, id: ref.id, sha256: ref.sha256, source, replaced: old?.ref.id ?? null },
      loaded.ok ? 'scorer plugin loaded' : 'scorer plugin started but not loaded yet',
    )
    this.#o.onChange?.()
  }

  /** The wanted version cannot run: stop the old one too (never run an unnamed version). */
  #unusable(entry: Entry, reason: FailureReason, message: string): void {
    const old = entry.running
    entry.running = undefined
    if (old) void old.runtime.close()
    entry.failure = { ok: false, reason, message }
    this.#o.onChange?.()
  }

  #scheduleRetry(name: string, entry: Entry, ref: ScorerRef): void {
    const retry = new AbortController()
    entry.retry = retry
    void this.#o.clock.sleep(this.#o.retryMs ?? SCORER_RETRY_MS, retry.signal).then(() => {
      if (retry.signal.aborted || this.#closed || !entry.wanted || !same(entry.wanted, ref)) return
      void this.#track(this.#load(name, entry, ref))
    })
  }

  #stop(entry: Entry): void {
    entry.retry?.abort()
    entry.retry = undefined
    entry.loading = undefined
    const old = entry.running
    entry.running = undefined
    if (old) void old.runtime.close()
  }
}

function newEntry(): Entry {
  return {
    classes: [],
    wanted: undefined,
    running: undefined,
    loading: undefined,
    failure: undefined,
    retry: undefined,
  }
}

function same(a: ScorerRef, b: ScorerRef): boolean {
  return a.id === b.id && a.sha256 === b.sha256
}
