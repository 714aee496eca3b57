/**
 * One scorer plugin version running: a sandbox (sandbox.ts) supervised. When the sandbox
 * dies (a call over its budget, a crash, a load that timed out) calls keep answering the
 * cause at once, without waiting on anything, until a new sandbox is up: it is started after
 * a backoff (restartMs, doubling per failure in a row, at most maxRestartMs), so a plugin
 * that loops on every call costs one budget per backoff period, not one per evaluation, and
 * a plugin that loads but then always hangs does not keep two cores busy restarting. A call
 * that succeeds resets the backoff. A component that was refused (`invalid`) is never
 * restarted: the same bytes would be refused again.
 */
import type { Clock } from '../clock'
import {
  type Failure,
  type LoadOutcome,
  PluginSandbox,
  type SandboxOptions,
  type ScoreOutcome,
} from './sandbox'

export type RuntimeOutcome = ScoreOutcome & { called: boolean }

export const RESTART_MS = 1_000
export const MAX_RESTART_MS = 60_000

export interface RuntimeOptions extends SandboxOptions {
  clock: Clock
  restartMs?: number
  maxRestartMs?: number
  /** Makes a sandbox (tests count them); a real PluginSandbox by default. */
  sandbox?: (component: Uint8Array, options: SandboxOptions) => PluginSandbox
  /** Told when a restarted sandbox is ready again (the owner re-evaluates at once). */
  onRecovered?: () => void
}

export class PluginRuntime {
  readonly #component: Uint8Array
  readonly #o: RuntimeOptions
  readonly #stop = new AbortController()
  #sandbox: PluginSandbox
  /** What stopped the last sandbox, answered while its successor loads. */
  #cause: Failure | undefined
  #failures = 0
  #restarting = false
  #starts = 1

  constructor(component: Uint8Array, options: RuntimeOptions) {
    this.#component = component
    this.#o = options
    this.#sandbox = this.#make()
  }

  /** The first sandbox's load: ok, or why this version cannot run. */
  get loaded(): Promise<LoadOutcome> {
    return this.#sandbox.ready
  }

  /** Sandboxes started so far (1 + restarts). */
  get starts(): number {
    return this.#starts
  }

  /**
   * Takes ownership of `metrics` (transferred to the worker). Never rejects. `called`: the
   * batch went to a worker (false: answered at once, the sandbox being dead or loading).
   */
  async score(metrics: Float64Array, paths: number): Promise<RuntimeOutcome> {
    const sandbox = this.#sandbox
    const dead = sandbox.failure
    if (dead) {
      this.#scheduleRestart(dead)
      return { ...dead, called: false }
    }
    // A successor still loading: answer at once, the evaluation must not wait for it.
    if (!sandbox.serving) {
      const cause = this.#cause ?? {
        ok: false,
        reason: 'loading',
        message: 'the plugin is loading',
      }
      return { ...cause, called: false }
    }
    const outcome = await sandbox.score(metrics, paths)
    if (outcome.ok) {
      this.#failures = 0
      this.#cause = undefined
    } else if (sandbox.failure) this.#scheduleRestart(sandbox.failure)
    return { ...outcome, called: true }
  }

  async close(): Promise<void> {
    this.#stop.abort()
    await this.#sandbox.close()
  }

  #make(): PluginSandbox {
    const make = this.#o.sandbox ?? ((c, o) => new PluginSandbox(c, o))
    return make(this.#component, this.#o)
  }

  #scheduleRestart(cause: Failure): void {
    if (this.#restarting || this.#stop.signal.aborted || cause.reason === 'invalid') return
    this.#restarting = true
    this.#cause = cause
    const base = this.#o.restartMs ?? RESTART_MS
    const delay = Math.min(this.#o.maxRestartMs ?? MAX_RESTART_MS, base * 2 ** this.#failures)
    this.#failures++
    void this.#o.clock.sleep(delay, this.#stop.signal).then(async () => {
      if (this.#stop.signal.aborted) return
      const old = this.#sandbox
      this.#sandbox = this.#make()
      this.#starts++
      void old.close()
      const loaded = await this.#sandbox.ready
      this.#restarting = false
      if (this.#stop.signal.aborted) return
      if (loaded.ok) this.#o.onRecovered?.()
      else this.#scheduleRestart(loaded)
    })
  }
}
