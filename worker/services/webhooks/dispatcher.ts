/**
 * When the outbox is drained (drain.ts does the draining): Node runs one drain at a time
 * in-process (NodeDispatcher: a short poll plus kicks after writes wake it), Workers run
 * the periodic pass from the cron trigger and, for the first attempt right away, a drain
 * from `ctx.waitUntil` (routes/webhook-kick.ts).
 */
import { evaluateAlerts } from '../alerts/periodic'
import { applyRetention } from '../retention'
import { type DispatchDeps, Drain, describeError, drainOutbox } from './drain'

export type { DispatchDeps } from './drain'

/** The periodic pass: alert evaluation (thresholds, auto-resolve, repeats), then a drain. */
export async function periodicPass(deps: DispatchDeps): Promise<void> {
  await evaluateAlerts({ db: deps.db, clock: deps.clock })
  await applyRetention(deps.db, deps.clock.now(), deps.retention)
  await drainOutbox(deps)
}

export interface NodeDispatcherOptions {
  /** How often due retries are looked for (default 1 s). */
  pollMs?: number
  /** How often alert rules are evaluated (default 15 s). */
  evaluateMs?: number
}

/**
 * Node: one drain at a time. A kick during a drain wakes it to claim what just became due
 * (it does not wait for the drain's slowest attempt); a kick as it ends runs another.
 */
export class NodeDispatcher {
  private running: Promise<void> | undefined
  private drain: Drain | undefined
  private again = false
  private timers: ReturnType<typeof setInterval>[] = []
  private evaluating: Promise<void> | undefined
  private stopped = false

  constructor(
    private readonly deps: DispatchDeps,
    private readonly options: NodeDispatcherOptions = {},
  ) {}

  start(): void {
    const poll = setInterval(() => this.kick(), this.options.pollMs ?? 1000)
    const evaluate = setInterval(() => this.evaluate(), this.options.evaluateMs ?? 15_000)
    poll.unref()
    evaluate.unref()
    this.timers.push(poll, evaluate)
    this.kick()
  }

  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      this.drain?.wake()
      return
    }
    this.running = (async () => {
      do {
        this.again = false
        this.drain = new Drain(this.deps)
        await this.drain
          .run()
          .catch((error: unknown) =>
            this.deps.logger.warn({ err: describeError(error) }, 'webhook drain failed'),
          )
      } while (this.again && !this.stopped)
    })().finally(() => {
      this.running = undefined
      this.drain = undefined
    })
  }

  evaluate(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.evaluating ??= (async () => {
      await evaluateAlerts({ db: this.deps.db, clock: this.deps.clock })
      await applyRetention(this.deps.db, this.deps.clock.now(), this.deps.retention)
    })()
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: describeError(error) }, 'alert evaluation failed'),
      )
      .finally(() => {
        this.evaluating = undefined
        this.kick()
      })
    return this.evaluating
  }

  /** Stops the timers and waits for the attempts in flight (at most the 10 s timeout). */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    this.drain?.stop()
    await this.running
    await this.evaluating
  }
}
