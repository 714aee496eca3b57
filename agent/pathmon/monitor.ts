import type { AgentEvent, TelemetryBatch } from '../../protocol/telemetry'
import type { Clock } from '../clock'
import type { BatchScorer, ClassDecision } from '../decision'
import type { Logger } from '../logger'
import type { SitePlan } from '../plan/site-plan'
import type { StateChange } from '../probes/bfd'
import type {
  ProbePathRef,
  ProbeSocketFactory,
  QualityProber,
  QualityResponder,
} from '../probes/quality'
import type { Routing } from '../routing/types'
import type { WireGuardBackend } from '../tunnels/types'
import type { BfdSet, OpenTransport } from './bfd-set'
import { closeAll } from './close-all'
import type { CustomScores } from './custom-scores'
import { PathDecider } from './decide'
import { PathMeasurement } from './measure'
import type { PathPredictions } from './predictions'
import { PathReport, type UplinkState, uplinkStates } from './report'

export { TUNNEL_POLL_MS } from './measure'
export { EVENT_QUEUE_MAX, type UplinkState } from './report'

export interface PathMonitorOptions {
  clock: Clock
  routing: Routing
  backend: Pick<WireGuardBackend, 'get'>
  /** The site's WireGuard private key (base64): BFD and probe keys derive from it. */
  privateKey: string
  interfacePrefix: string
  /** lab: an uplink's address is its endpointHost; prod: read from the interface. */
  mode: 'lab' | 'prod'
  logger: Logger
  /** Overrides of the desired state's BFD settings (the lab's 50 ms x 3). */
  bfd?: { intervalMs?: number | undefined; multiplier?: number | undefined }
  meshTable?: number
  classTableBase?: number
  rulePriorityBase?: number
  probePort?: number
  /**
   * The control plane's address: its traffic is routed (a `to` rule after the mesh rule)
   * through an uplink whose BFD sessions are up, so reports still reach it when the
   * main table's default uplink is dead but its link is not down.
   */
  controlPlaneAddress?: string | undefined
  /** BFD transport per local address (default: UDP multihop, bfd-set.ts). */
  openBfd?: OpenTransport
  /** The quality prober's and responder's sockets (default: node:dgram UDP). */
  probeSockets?: ProbeSocketFactory
  batchScorer?: BatchScorer
}

export class PathMonitor {
  readonly #clock: Clock
  readonly #log: Logger
  readonly #measure: PathMeasurement
  readonly #decide: PathDecider
  readonly #report: PathReport
  #customScores: CustomScores | undefined
  #predictions: PathPredictions | undefined
  #rttObserver: ((path: ProbePathRef, rttMs: number) => void) | undefined
  readonly #stop = new AbortController()
  #loops: Promise<void>[] = []
  #running: Promise<void> | undefined
  #again = false
  #closed = false

  constructor(options: PathMonitorOptions) {
    const { bfd, probePort, openBfd, probeSockets, meshTable, classTableBase } = options
    const { rulePriorityBase, batchScorer } = options
    this.#clock = options.clock
    this.#log = options.logger.child({ component: 'pathmon' })
    this.#measure = new PathMeasurement({
      clock: options.clock,
      routing: options.routing,
      backend: options.backend,
      privateKey: options.privateKey,
      interfacePrefix: options.interfacePrefix,
      mode: options.mode,
      logger: this.#log,
      ...(bfd ? { bfd } : {}),
      ...(probePort !== undefined ? { probePort } : {}),
      ...(openBfd ? { openBfd } : {}),
      ...(probeSockets ? { probeSockets } : {}),
      onTargets: (keys) => this.#predictions?.setPaths(keys),
      onBfdChange: (key, change) => this.#onBfd(key, change),
      onTunnelChange: () => this.evaluate(),
      onProbeOutcome: (key, outcome) => this.#predictions?.observeProbe(key, outcome),
      onRtt: (path, ms) => this.#rttObserver?.(path, ms),
    })
    this.#decide = new PathDecider({
      clock: options.clock,
      routing: options.routing,
      interfacePrefix: options.interfacePrefix,
      mode: options.mode,
      logger: this.#log,
      ...(meshTable !== undefined ? { meshTable } : {}),
      ...(classTableBase !== undefined ? { classTableBase } : {}),
      ...(rulePriorityBase !== undefined ? { rulePriorityBase } : {}),
      controlPlaneAddress: options.controlPlaneAddress,
      ...(batchScorer ? { batchScorer } : {}),
    })
    this.#report = new PathReport({ logger: this.#log })
  }

  /** Scorer plugins: their scores go into the engine's input for `custom` classes. */
  useCustomScores(scores: CustomScores): void {
    this.#customScores = scores
  }

  /**
   * A failure predictor (agent/predict): fed every probe outcome and BFD transition; its
   * flags go into the path selector's input (PathInput.predicted), its events into the
   * queue.
   */
  usePredictions(predictions: PathPredictions): void {
    this.#predictions = predictions
    predictions.setPaths(this.#measure.targets.map((t) => t.key))
  }

  /** Every accepted probe reply's RTT (the metrics' RTT histogram). */
  observeRtt(observer: (path: ProbePathRef, rttMs: number) => void): void {
    this.#rttObserver = observer
  }

  get prober(): QualityProber {
    return this.#measure.prober
  }

  get responder(): QualityResponder {
    return this.#measure.responder
  }

  get bfd(): BfdSet {
    return this.#measure.bfd
  }

  get decisions(): readonly ClassDecision[] {
    return this.#decide.decisions
  }

  /** The device carrying the default class to a peer (the mesh engine's routeDevice hook). */
  routeDevice(peerSiteId: string): string | undefined {
    return this.#decide.routeDevice(peerSiteId)
  }

  async reconfig(plan: SitePlan): Promise<void> {
    if (this.#closed) return
    const desired = plan.desired
    const measured = await this.#measure.reconfig(desired)
    this.#decide.reconfig(plan)
    this.#log.info(
      {
        paths: measured.targets.length,
        bfd: measured.bfd,
        probeIntervalMs: desired.probes.probeIntervalMs,
      },
      'path monitor configured',
    )
    this.#startLoops()
    this.#decide.forgetMeshRoutes()
    await this.evaluate()
  }

  /** Re-evaluates now (coalesced with a running evaluation). */
  evaluate(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false
          await this.#evaluateOnce()
        } while (this.#again && !this.#closed)
      } catch (error) {
        this.#log.error({ err: (error as Error).message }, 'apply path decisions')
      } finally {
        this.#running = undefined
      }
    })()
    return this.#running
  }

  isUp(key: string): boolean {
    return this.#measure.isUp(key)
  }

  uplinkStates(): Map<number, UplinkState> {
    return uplinkStates(this.#measure.targets, (key) => this.#measure.bfdVerdict(key))
  }

  telemetry(): TelemetryBatch {
    return this.#report.telemetry({
      at: this.#clock.now(),
      targets: this.#measure.targets,
      quality: this.#measure.quality(),
      isUp: (key) => this.#measure.isUp(key),
      decisions: this.#decide.decisions,
    })
  }

  /** Takes up to `max` queued events (oldest first). */
  takeEvents(max: number): AgentEvent[] {
    return this.#report.takeEvents(max)
  }

  /** Puts events back at the head (a failed post), within the bound. */
  requeue(events: AgentEvent[]): void {
    this.#report.requeue(events)
  }

  get pendingEvents(): number {
    return this.#report.pendingEvents
  }

  onEvents(listener: () => void): () => void {
    return this.#report.onEvents(listener)
  }

  /**
   * Called after every evaluation, once its routes are applied, with the decisions (the eBPF
   * ECMP of load-balance classes follows their member paths and weights: agent/dataplane/ecmp.ts).
   * Awaited inside the evaluation, so calls never overlap; errors are the listener's own.
   */
  onDecisions(listener: (decisions: readonly ClassDecision[]) => Promise<void>): () => void {
    return this.#decide.onDecisions(listener)
  }

  /**
   * With the eBPF classifier attached, classes that no `ip rule` can express (applications)
   * still get their table filled: the classifier's fwmark rules lead marked flows to it.
   * Takes effect on the next reconfig.
   */
  steerMarkedClasses(on: boolean): void {
    this.#decide.steerMarkedClasses(on)
  }

  /**
   * Stops the timers and the running evaluation, closes the sockets, then removes the class
   * rules and routes. Every step runs even if an earlier one fails; the failures are thrown
   * together at the end.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stop.abort()
    await closeAll('close path monitor', [
      ['stop timers', () => Promise.all(this.#loops)],
      ['finish evaluation', async () => this.#running],
      ['stop measuring', () => this.#measure.close()],
      ['remove class routing', () => this.#decide.close()],
    ])
  }

  #onBfd(key: string, change: StateChange): void {
    this.#predictions?.observeBfd(key, this.#clock.now(), change.to === 'Up')
    this.#log.info({ path: key, from: change.from, to: change.to, diag: change.diag }, 'bfd state')
    void this.evaluate()
  }

  #startLoops(): void {
    if (this.#loops.length > 0) return
    const signal = this.#stop.signal
    const polling = this.#measure.start(signal)
    const evaluating = (async () => {
      while (!signal.aborted) {
        await this.#clock.sleep(this.#measure.probeIntervalMs, signal)
        if (!signal.aborted) await this.evaluate()
      }
    })()
    this.#loops.push(evaluating, polling)
  }

  async #evaluateOnce(): Promise<void> {
    if (!this.#decide.configured || this.#closed) return
    await this.#decide.sweepOnce()
    const now = this.#clock.now()
    const targets = this.#measure.targets
    const predictions = this.#predictions
    const inputs = this.#decide.inputsFor({
      monitored: new Set(targets.map((t) => t.key)),
      quality: this.#measure.quality(),
      isUp: (key) => this.#measure.isUp(key),
      ...(predictions ? { flagged: (key: string) => predictions.flagged(key) } : {}),
    })
    if (!inputs) return
    // Plugins run in their sandboxes here, bounded by their budgets, never inside the engine.
    const scorerEvents = (await this.#customScores?.annotate(inputs, now)) ?? []
    if (this.#closed) return
    const result = this.#decide.evaluate(inputs)
    if (!result) return
    // Liveness events first, then the engine's, then the predictor's (queue order).
    this.#report.observeLiveness(targets, (key) => this.#measure.state(key), now)
    this.#report.observeDecisions(result.events)
    for (const ev of predictions?.events(now, targets, result.events) ?? []) this.#report.push(ev)
    for (const ev of scorerEvents) this.#report.push(ev)
    await this.#decide.apply(() => this.uplinkStates())
  }
}
