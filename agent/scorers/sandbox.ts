/**
 * A scorer plugin in a sandbox: its own worker thread, so that a plugin can never stall the
 * agent's event loop (BFD, probes, the path selector all run on it).
 *
 * Why a worker: a plugin call is synchronous WebAssembly, and a synchronous call on the main
 * thread cannot be pre-empted: a plugin that loops would freeze the agent for good. A worker
 * thread runs the plugin on its own V8 isolate; the agent only posts it messages and can
 * terminate it at any moment (V8 interrupts even a tight wasm loop at its back edge).
 *
 * How a call works: one `score` message carries the metrics of every path to score in this
 * evaluation (packed Float64Array, transferred), and one reply carries every score, so an
 * evaluation costs one round trip per plugin, not one per path or per class. The caller
 * waits for the reply at most `budgetMs` (on the injected clock); past it the worker is
 * terminated (a looping plugin stops there, not later) and the call reports `timeout`. The
 * main thread never blocks: it awaits a promise, and other timers and sockets keep running
 * while the plugin works or hangs.
 *
 * Limits: `resourceLimits` caps the worker's JS heaps and stack (exceeding them ends the
 * worker: `crashed`). A plugin's WebAssembly linear memory is outside V8's heap limits (up to
 * 4 GiB for wasm32), but growing it takes time, which the budget bounds, and terminating
 * the worker frees it.
 *
 * A sandbox is one worker's life: once it timed out or crashed it stays dead (calls answer
 * at once with the cause), and the owner (runtime.ts) decides when to start another.
 */
import { type ResourceLimits, Worker } from 'node:worker_threads'
import type { Clock } from '../clock'
import type { FromWorker, SandboxWorkerData, ToWorker } from './sandbox-protocol'

export type FailureReason =
  /** Not loaded yet: fetching, or the worker is starting. */
  | 'loading'
  /** No usable bytes: the desired state names no version, or fetching/verifying failed. */
  | 'missing'
  /** The component was refused (not of the patronus:scorer world, wants host imports). */
  | 'invalid'
  /** The plugin did not answer within the call's budget (or the load timeout). */
  | 'timeout'
  /** The worker died (out of its memory limits, or an error outside the plugin). */
  | 'crashed'
  /** The plugin threw or trapped. */
  | 'error'
  /** The plugin (or its worker) answered with something that is not one score per path. */
  | 'bad_result'

export type Failure = { ok: false; reason: FailureReason; message: string }
export type ScoreOutcome = { ok: true; scores: Float64Array } | Failure
export type LoadOutcome = { ok: true } | Failure

export const DEFAULT_BUDGET_MS = 50
export const DEFAULT_LOAD_TIMEOUT_MS = 30_000
/** Loading (tsx, jco, a plugin) needs under 24 MiB of old space; a runaway plugin stops here. */
export const DEFAULT_RESOURCE_LIMITS: ResourceLimits = {
  maxOldGenerationSizeMb: 64,
  maxYoungGenerationSizeMb: 16,
  stackSizeMb: 4,
}
export const SANDBOX_WORKER_URL = new URL('./sandbox-boot.mjs', import.meta.url)

export interface SandboxOptions {
  clock: Clock
  /** Longest wait for one batch's scores, ms (DEFAULT_BUDGET_MS). */
  budgetMs?: number
  /** Longest wait for the worker to start and load the plugin, ms. */
  loadTimeoutMs?: number
  resourceLimits?: ResourceLimits
  /** The worker's entry; tests inject scripts that misbehave as no real plugin can. */
  workerUrl?: URL
}

interface Pending {
  seq: number
  n: number
  resolve: (outcome: ScoreOutcome) => void
}

export class PluginSandbox {
  readonly ready: Promise<LoadOutcome>
  readonly #worker: Worker
  readonly #clock: Clock
  readonly #budgetMs: number
  #dead: Failure | undefined
  #loaded = false
  #pending: Pending | undefined
  #seq = 0
  #queue: Promise<unknown> = Promise.resolve()
  #settleLoad: (outcome: LoadOutcome) => void = () => {}

  constructor(component: Uint8Array, options: SandboxOptions) {
    this.#clock = options.clock
    this.#budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS
    const workerData: SandboxWorkerData = { component }
    this.#worker = new Worker(options.workerUrl ?? SANDBOX_WORKER_URL, {
      workerData,
      resourceLimits: options.resourceLimits ?? DEFAULT_RESOURCE_LIMITS,
      // The plugin has nothing to say to the agent's terminal or environment.
      stdout: true,
      stderr: true,
      env: {},
    })
    // Never read: drained so that a chatty worker cannot fill a pipe.
    this.#worker.stdout.resume()
    this.#worker.stderr.resume()
    this.ready = new Promise<LoadOutcome>((resolve) => {
      this.#settleLoad = resolve
    })
    this.#worker.on('message', (m: FromWorker) => this.#onMessage(m))
    this.#worker.on('error', (error: Error) => {
      const code = (error as { code?: string }).code
      this.#die('crashed', `scorer worker failed: ${code ? `${code}: ` : ''}${error.message}`)
    })
    this.#worker.on('exit', (code) => this.#die('crashed', `scorer worker exited (${code})`))
    const loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS
    const stop = new AbortController()
    void this.#clock.sleep(loadTimeoutMs, stop.signal).then(() => {
      if (stop.signal.aborted) return
      this.#die('timeout', `the plugin did not load within ${loadTimeoutMs} ms`)
    })
    void this.ready.then(() => stop.abort())
  }

  /** Loaded and alive: a call now is answered within the budget. */
  get serving(): boolean {
    return this.#loaded && !this.#dead
  }

  /** Why the sandbox cannot score any more, or undefined while it can. */
  get failure(): Failure | undefined {
    return this.#dead
  }

  /**
   * Scores one batch (METRICS_PER_PATH numbers per path): one score per path, or why not.
   * Never rejects. Calls are serialised; each has the whole budget from when it is sent.
   */
  score(metrics: Float64Array, paths: number): Promise<ScoreOutcome> {
    const run = this.#queue.then(() => this.#call(metrics, paths))
    this.#queue = run
    return run
  }

  /** Ends the worker (idempotent); pending and later calls answer `crashed`. */
  async close(): Promise<void> {
    this.#die('crashed', 'the sandbox was closed')
    await this.#worker.terminate().catch(() => {})
  }

  async #call(metrics: Float64Array, paths: number): Promise<ScoreOutcome> {
    const loaded = await this.ready
    if (!loaded.ok) return loaded
    if (this.#dead) return this.#dead
    const seq = ++this.#seq
    const reply = new Promise<ScoreOutcome>((resolve) => {
      this.#pending = { seq, n: paths, resolve }
    })
    const stop = new AbortController()
    void this.#clock.sleep(this.#budgetMs, stop.signal).then(() => {
      if (stop.signal.aborted) return
      this.#die('timeout', `the plugin did not answer within its ${this.#budgetMs} ms budget`)
    })
    const message: ToWorker = { type: 'score', seq, metrics }
    this.#worker.postMessage(message, [metrics.buffer as ArrayBuffer])
    const outcome = await reply
    stop.abort()
    return outcome
  }

  #onMessage(m: FromWorker): void {
    if (m.type === 'ready') {
      this.#loaded = true
      this.#settleLoad({ ok: true })
      return
    }
    if (m.type === 'load-error') {
      this.#die('invalid', `${m.code}: ${m.message}`)
      return
    }
    const pending = this.#pending
    if (!pending || pending.seq !== m.seq) return
    this.#pending = undefined
    pending.resolve(outcomeOf(m, pending.n))
  }

  /**
   * The first cause of death sticks; whoever waits learns it. The worker is terminated
   * whatever the cause (a plugin stuck in a call or in its load stops here).
   */
  #die(reason: FailureReason, message: string): void {
    if (this.#dead) return
    const failure: Failure = { ok: false, reason, message }
    this.#dead = failure
    void this.#worker.terminate().catch(() => {})
    this.#settleLoad(failure)
    const pending = this.#pending
    this.#pending = undefined
    pending?.resolve(failure)
  }
}

function outcomeOf(m: FromWorker & { seq: number }, n: number): ScoreOutcome {
  if (m.type === 'error') {
    return {
      ok: false,
      reason: m.code === 'BAD_RESULT' ? 'bad_result' : 'error',
      message: m.message,
    }
  }
  if (m.type !== 'scores' || !(m.scores instanceof Float64Array) || m.scores.length !== n) {
    const got = m.type === 'scores' ? describe(m.scores) : m.type
    return { ok: false, reason: 'bad_result', message: `expected ${n} scores, got ${got}` }
  }
  return { ok: true, scores: m.scores }
}

function describe(value: unknown): string {
  if (value instanceof Float64Array) return `${value.length}`
  return value === null ? 'null' : typeof value
}
