/**
 * The path monitor: measures every path of the desired state and steers each traffic
 * class onto its best path. Per path: a BFD session (bfd-set.ts), a quality prober entry
 * and tunnel liveness (liveness.ts); a path is up when its BFD session is Up and its tunnel
 * is alive. The decision engine is evaluated at once on every BFD state change (the fast
 * path: detection time + one netlink message per prefix is the whole outage), on tunnel
 * liveness changes, and on a timer at the probe interval (quality-driven moves, failback).
 * Decisions are applied by the RouteApplier: the default class in the mesh table, policy
 * classes in their own tables behind `ip rule`s (class-rules.ts).
 *
 * Events and telemetry are queued here for the daemon to post; nothing here talks to the
 * control plane. Evaluations never interleave: a request during one runs once after it.
 */
import type { DesiredState } from '../../protocol/agent'
import type { AgentEvent, TelemetryBatch } from '../../protocol/telemetry'
import type { Clock } from '../clock'
import {
  type BatchScorer,
  buildPathInputs,
  type ClassDecision,
  classesFromDesiredState,
  DEFAULT_CLASS_ID,
  DecisionEngine,
  pathsFromDesiredState,
} from '../decision'
import { interfaceName, MESH_DEFAULTS, planMesh } from '../engine/mesh-plan'
import type { Logger } from '../logger'
import type { SessionParameters, StateChange } from '../probes/bfd'
import { deriveQualityKey } from '../probes/keys'
import {
  type ProbePathRef,
  type ProbeSocketFactory,
  QUALITY_PROBE_PORT,
  QualityProber,
  QualityResponder,
  udpSocketFactory,
} from '../probes/quality'
import type { Routing, RuleSpec } from '../routing/types'
import type { WireGuardBackend } from '../tunnels/types'
import { RouteApplier, type WantedRoute } from './apply'
import { BfdSet, type OpenTransport } from './bfd-set'
import { type ClassRules, classRules } from './class-rules'
import type { CustomScores } from './custom-scores'
import { decisionEvent, livenessEvent, sampleOf } from './events'
import { TunnelWatch } from './liveness'
import type { PathPredictions } from './predictions'
import { type PathTarget, pathTargets } from './targets'

export const TUNNEL_POLL_MS = 1_000
/** Events kept for the daemon; the oldest are dropped past this (the count is logged). */
export const EVENT_QUEUE_MAX = 1_000

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
  openBfd?: OpenTransport
  probeSockets?: ProbeSocketFactory
  batchScorer?: BatchScorer
}

export type UplinkState = 'up' | 'down' | 'unknown'

export class PathMonitor {
  readonly #o: PathMonitorOptions
  readonly #log: Logger
  readonly #bfd: BfdSet
  readonly #tunnels: TunnelWatch
  readonly #prober: QualityProber
  readonly #responder: QualityResponder
  readonly #applier: RouteApplier
  readonly #meshTable: number
  readonly #classBase: number
  readonly #classPriority: number
  readonly #cpPriority: number
  readonly #uplinkTableBase: number
  #cpSlot: number | undefined
  #engine: DecisionEngine | undefined
  #desired: DesiredState | undefined
  #targets: PathTarget[] = []
  #allowed = new Map<string, string[]>()
  #classTables = new Map<string, number>()
  #classRules: ClassRules[] = []
  #probeIntervalMs = 1000
  /** Last liveness per path key (undefined = never evaluated). */
  readonly #up = new Map<string, boolean>()
  /** Keys whose BFD session has produced a result (went Up at least once). */
  readonly #bfdResult = new Set<string>()
  #decisions: ClassDecision[] = []
  #events: AgentEvent[] = []
  #dropped = 0
  readonly #listeners = new Set<() => void>()
  readonly #stop = new AbortController()
  #loops: Promise<void>[] = []
  #running: Promise<void> | undefined
  #again = false
  #closed = false
  #swept = false
  readonly #skippedLogged = new Set<string>()
  /** The eBPF classifier marks flows per class (agent/bpf/wiring.ts): every class has a table. */
  #marked = false

  constructor(options: PathMonitorOptions) {
    this.#o = options
    this.#log = options.logger.child({ component: 'pathmon' })
    this.#meshTable = options.meshTable ?? MESH_DEFAULTS.meshTable
    this.#classBase = options.classTableBase ?? MESH_DEFAULTS.classTableBase
    // Class rules sit between the `from` rules (base+16..31) and the mesh rule (base+100).
    this.#classPriority = (options.rulePriorityBase ?? MESH_DEFAULTS.rulePriorityBase) + 40
    // Just past the mesh engine's range (base..base+100): the mesh engine leaves it alone.
    this.#cpPriority = (options.rulePriorityBase ?? MESH_DEFAULTS.rulePriorityBase) + 101
    this.#uplinkTableBase = MESH_DEFAULTS.uplinkTableBase
    const onError = (e: Error) => this.#log.debug({ err: e.message }, 'probe socket')
    this.#bfd = new BfdSet({
      clock: options.clock,
      privateKey: options.privateKey,
      ...(options.openBfd ? { open: options.openBfd } : {}),
      onChange: (key, change) => this.#onBfd(key, change),
      onError: (m) => this.#log.warn({}, m),
    })
    this.#tunnels = new TunnelWatch(options.backend, options.clock)
    const sockets = options.probeSockets ?? udpSocketFactory
    this.#prober = new QualityProber({
      clock: options.clock,
      sockets,
      intervalMs: 1000,
      onError,
      onRtt: (path, ms) => this.#rttObserver?.(path, ms),
      onOutcome: (path, outcome) =>
        this.#predictions?.observeProbe(
          `${path.peerSiteId}/${path.localSlot}/${path.remoteSlot}`,
          outcome,
        ),
    })
    this.#responder = new QualityResponder({
      clock: options.clock,
      sockets,
      keyFor: (from) => this.#qualityKeys.get(from.address),
      onError,
    })
    const owned = new Set(Array.from({ length: 16 }, (_, k) => this.#classBase + k))
    this.#applier = new RouteApplier(options.routing, owned)
  }

  #qualityKeys = new Map<string, Uint8Array>()
  #rttObserver: ((path: ProbePathRef, rttMs: number) => void) | undefined

  #predictions: PathPredictions | undefined
  #customScores: CustomScores | undefined

  /** Scorer plugins: their scores go into the engine's input for `custom` classes. */
  useCustomScores(scores: CustomScores): void {
    this.#customScores = scores
  }

  /**
   * A failure predictor (issue 9): fed every probe outcome and BFD transition; its flags go
   * into the decision engine's input (PathInput.predicted), its events into the queue.
   */
  usePredictions(predictions: PathPredictions): void {
    this.#predictions = predictions
    predictions.setPaths(this.#targets.map((t) => t.key))
  }

  /** Every accepted probe reply's RTT (the metrics' RTT histogram). */
  observeRtt(observer: (path: ProbePathRef, rttMs: number) => void): void {
    this.#rttObserver = observer
  }

  get prober(): QualityProber {
    return this.#prober
  }

  get responder(): QualityResponder {
    return this.#responder
  }

  get bfd(): BfdSet {
    return this.#bfd
  }

  get decisions(): readonly ClassDecision[] {
    return this.#decisions
  }

  /** The device carrying the default class to a peer (the mesh engine's routeDevice hook). */
  routeDevice(peerSiteId: string): string | undefined {
    const d = this.#decisions.find(
      (x) => x.classId === DEFAULT_CLASS_ID && x.peerSiteId === peerSiteId,
    )
    if (!d?.path) return undefined
    return interfaceName(this.#o.interfacePrefix, d.path.localSlot, d.path.remoteSlot)
  }

  async reconfig(desired: DesiredState): Promise<void> {
    if (this.#closed) return
    this.#desired = desired
    const { targets, skipped } = pathTargets(
      desired,
      this.#o.interfacePrefix,
      await this.#localAddresses(desired),
    )
    for (const s of skipped) this.#logOnce(`skip:${s}`, `path not monitored: ${s}`)
    this.#targets = targets
    this.#predictions?.setPaths(targets.map((t) => t.key))
    const plan = planMesh(desired, { interfacePrefix: this.#o.interfacePrefix, mode: this.#o.mode })
    this.#allowed = new Map()
    for (const iface of plan.interfaces) {
      for (const p of iface.peers) this.#allowed.set(p.siteId, p.allowedIps)
    }
    this.#qualityKeys = new Map()
    for (const peer of desired.peers) {
      const key = deriveQualityKey(this.#o.privateKey, peer.wireguardPublicKey)
      for (const u of peer.uplinks) if (u.endpointHost) this.#qualityKeys.set(u.endpointHost, key)
    }
    const params = this.#bfdParams(desired)
    await this.#bfd.reconfig(targets, params)
    this.#probeIntervalMs = desired.probes.probeIntervalMs
    const port = this.#o.probePort ?? QUALITY_PROBE_PORT
    await this.#prober.reconfig(
      targets.map((t) => ({
        ...t.ref,
        localAddress: t.localAddress,
        remoteAddress: t.remoteAddress,
        remotePort: port,
        key: this.#qualityKeys.get(t.remoteAddress) ?? new Uint8Array(32),
      })),
      desired.probes.probeIntervalMs,
    )
    const listen = new Map<string, { address: string; port: number; slot: number }>()
    for (const t of targets) {
      listen.set(t.localAddress, { address: t.localAddress, port, slot: t.ref.localSlot })
    }
    await this.#responder.reconfig([...listen.values()])

    const classes = classesFromDesiredState(desired)
    const policies = [...desired.policies].sort((a, b) => a.priority - b.priority)
    this.#classTables = new Map()
    this.#classRules = []
    policies.forEach((p, k) => {
      if (k >= 16) {
        this.#logOnce(`many:${p.id}`, `policy ${p.name}: more than 16 classes; not steered`)
        return
      }
      const r = classRules(p, k, this.#classBase, this.#classPriority + k)
      if (r.skipped && this.#marked) {
        // No match rule, but the classifier's fwmark rule sends marked flows to the table.
        this.#logOnce(`marked:${p.id}`, `policy ${p.name}: ${r.skipped}; steered by mark only`)
        this.#classTables.set(p.id, r.table)
      } else if (r.skipped)
        this.#logOnce(`rules:${p.id}`, `policy ${p.name}: ${r.skipped}; not steered`)
      else this.#classTables.set(p.id, r.table)
      this.#classRules.push(r)
    })
    if (this.#engine) this.#engine.reconfig({ classes, failover: desired.failover })
    else {
      this.#engine = new DecisionEngine({
        clock: this.#o.clock,
        classes,
        failover: desired.failover,
        ...(this.#o.batchScorer ? { batchScorer: this.#o.batchScorer } : {}),
      })
    }
    this.#log.info(
      { paths: targets.length, bfd: params, probeIntervalMs: desired.probes.probeIntervalMs },
      'path monitor configured',
    )
    this.#startLoops()
    // The mesh engine has just reconciled the mesh table (maybe from an older choice, if a
    // decision changed while it ran): forget what we applied there, so this evaluation
    // replaces every route again (idempotent) and the kernel matches the decision.
    const meshTable = this.#meshTable
    this.#applier.forget((r) => r.table === meshTable)
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
    return this.#bfd.isUp(key) && this.#tunnels.isUp(key)
  }

  uplinkStates(): Map<number, UplinkState> {
    const out = new Map<number, UplinkState>()
    for (const t of this.#targets) {
      const slot = t.ref.localSlot
      const prev = out.get(slot) ?? 'unknown'
      if (prev === 'up') continue
      if (this.#bfd.isUp(t.key)) out.set(slot, 'up')
      else if (this.#bfdResult.has(t.key)) out.set(slot, 'down')
      else out.set(slot, prev)
    }
    return out
  }

  telemetry(): TelemetryBatch {
    const at = this.#o.clock.now()
    const quality = new Map(
      this.#prober.snapshot().map((q) => [`${q.peerSiteId}/${q.localSlot}/${q.remoteSlot}`, q]),
    )
    const samples = this.#targets.map((t) => {
      const q = quality.get(t.key)
      return sampleOf(t.ref, at, this.isUp(t.key), {
        rttMs: q?.rttMs ?? null,
        jitterMs: q?.jitterMs ?? null,
        loss10s: q?.loss['10s'] ?? null,
        mos: q?.mos ?? null,
      })
    })
    const activePaths = this.#decisions.flatMap((d) =>
      d.path
        ? [
            {
              class: d.classId,
              path: { ...d.path },
              reason: d.reason,
              since: Math.floor(d.since ?? at),
            },
          ]
        : [],
    )
    return { samples: samples.slice(0, 2000), activePaths: activePaths.slice(0, 2000) }
  }

  /** Takes up to `max` queued events (oldest first). */
  takeEvents(max: number): AgentEvent[] {
    if (this.#dropped > 0) {
      this.#log.warn({ dropped: this.#dropped }, 'event queue full: oldest events dropped')
      this.#dropped = 0
    }
    return this.#events.splice(0, max)
  }

  /** Puts events back at the head (a failed post), within the bound. */
  requeue(events: AgentEvent[]): void {
    this.#events = [...events, ...this.#events]
    this.#trim()
  }

  get pendingEvents(): number {
    return this.#events.length
  }

  onEvents(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Called after every evaluation, once its routes are applied, with the decisions (the eBPF
   * ECMP of load-balance classes follows their member paths and weights: agent/dataplane/ecmp.ts).
   * Awaited inside the evaluation, so calls never overlap; errors are the listener's own.
   */
  onDecisions(listener: (decisions: readonly ClassDecision[]) => Promise<void>): () => void {
    this.#decisionListeners.add(listener)
    return () => this.#decisionListeners.delete(listener)
  }

  readonly #decisionListeners = new Set<(d: readonly ClassDecision[]) => Promise<void>>()

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stop.abort()
    await Promise.all(this.#loops)
    await this.#running
    await this.#prober.stop()
    await this.#responder.stop()
    await this.#bfd.close()
    await this.#applier
      .close()
      .catch((e: Error) => this.#log.warn({ err: e.message }, 'remove class routing'))
  }

  #bfdParams(desired: DesiredState): SessionParameters {
    const interval = this.#o.bfd?.intervalMs ?? desired.probes.bfdIntervalMs
    return {
      desiredMinTxMs: interval,
      requiredMinRxMs: interval,
      detectMult: this.#o.bfd?.multiplier ?? desired.probes.bfdMultiplier,
    }
  }

  async #localAddresses(
    desired: DesiredState,
  ): Promise<(u: DesiredState['uplinks'][number]) => string | undefined> {
    const bySlot = new Map<number, string>()
    for (const u of desired.uplinks) {
      if (this.#o.mode === 'lab') {
        if (u.endpointHost) bySlot.set(u.slot, u.endpointHost)
        continue
      }
      const addr = (await this.#o.routing.addresses(u.interface).catch(() => [])).find(
        (a) => !a.cidr.includes(':'),
      )
      if (addr) bySlot.set(u.slot, addr.cidr.split('/')[0] ?? '')
    }
    return (u) => bySlot.get(u.slot)
  }

  #onBfd(key: string, change: StateChange): void {
    if (change.to === 'Up') this.#bfdResult.add(key)
    this.#predictions?.observeBfd(key, this.#o.clock.now(), change.to === 'Up')
    this.#log.info({ path: key, from: change.from, to: change.to, diag: change.diag }, 'bfd state')
    void this.evaluate()
  }

  #startLoops(): void {
    if (this.#loops.length > 0) return
    this.#prober.start()
    const signal = this.#stop.signal
    const clock = this.#o.clock
    this.#loops.push(
      (async () => {
        while (!signal.aborted) {
          await clock.sleep(this.#probeIntervalMs, signal)
          if (!signal.aborted) await this.evaluate()
        }
      })(),
      (async () => {
        while (!signal.aborted) {
          const changed = await this.#tunnels.poll(this.#targets).catch(() => [])
          if (changed.length > 0 && !signal.aborted) await this.evaluate()
          await clock.sleep(TUNNEL_POLL_MS, signal)
        }
      })(),
    )
  }

  /**
   * With the eBPF classifier attached, classes that no `ip rule` can express (applications)
   * still get their table filled: the classifier's fwmark rules lead marked flows to it.
   * Takes effect on the next reconfig.
   */
  steerMarkedClasses(on: boolean): void {
    this.#marked = on
  }

  async #sweep(): Promise<void> {
    // A crashed predecessor may have left class rules and routes: start from none.
    this.#swept = true
    const { routing } = this.#o
    const lo = this.#classPriority
    for (const r of await routing.rules(4)) {
      if (
        r.priority >= lo &&
        r.priority < lo + 16 &&
        r.table >= this.#classBase &&
        r.table < this.#classBase + 16
      ) {
        await routing.deleteRule(r)
      }
    }
    for (const r of await routing.rules(4)) {
      if (
        r.priority === this.#cpPriority &&
        r.table >= this.#uplinkTableBase &&
        r.table < this.#uplinkTableBase + 16
      ) {
        await routing.deleteRule(r)
      }
    }
    for (let k = 0; k < 16; k++) {
      for (const r of await routing.routes(this.#classBase + k)) await routing.deleteRoute(r)
    }
  }

  async #evaluateOnce(): Promise<void> {
    const desired = this.#desired
    const engine = this.#engine
    if (!desired || !engine || this.#closed) return
    if (!this.#swept) await this.#sweep()
    const now = this.#o.clock.now()
    const monitored = new Set(this.#targets.map((t) => t.key))
    const attributes = pathsFromDesiredState(desired)
    const inputs = buildPathInputs(
      attributes,
      this.#prober.snapshot(),
      (p) => {
        const key = `${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`
        return monitored.has(key) && this.isUp(key)
      },
      '1s',
    )
    const predictions = this.#predictions
    if (predictions) {
      for (const i of inputs) {
        i.predicted = predictions.flagged(`${i.peerSiteId}/${i.localSlot}/${i.remoteSlot}`)
      }
    }
    // Plugins run in their sandboxes here, bounded by their budgets, never inside the engine.
    for (const ev of (await this.#customScores?.annotate(inputs, now)) ?? []) this.#push(ev)
    for (const t of this.#targets) {
      const up = this.isUp(t.key)
      const before = this.#up.get(t.key)
      this.#up.set(t.key, up)
      // No path.up for the first Up at start; a down needs a path that was up.
      if (before === undefined || before === up) continue
      this.#push(
        livenessEvent(t.ref, up, now, {
          bfd: this.#bfd.isUp(t.key) ? 'up' : 'down',
          tunnel: this.#tunnels.isUp(t.key) ? 'up' : 'down',
        }),
      )
      this.#log.info({ path: t.key }, up ? 'path up' : 'path down')
    }
    for (const key of [...this.#up.keys()]) if (!monitored.has(key)) this.#up.delete(key)
    const result = engine.evaluate(inputs)
    this.#decisions = result.decisions
    for (const e of result.events) {
      this.#log.info(
        {
          event: e.type,
          class: e.classId,
          peer: e.peerSiteId,
          from: e.from,
          to: e.to,
          reason: e.reason,
        },
        'path decision',
      )
      const ev = decisionEvent(e)
      if (ev) this.#push(ev)
    }
    for (const ev of predictions?.events(now, this.#targets, result.events) ?? []) this.#push(ev)
    await this.#apply()
    for (const listener of this.#decisionListeners) {
      await listener(this.#decisions).catch((e: Error) =>
        this.#log.warn({ err: e.message }, 'decision listener'),
      )
    }
  }

  async #apply(): Promise<void> {
    const wanted: WantedRoute[] = []
    for (const d of this.#decisions) {
      if (!d.path) continue
      const table =
        d.classId === DEFAULT_CLASS_ID ? this.#meshTable : this.#classTables.get(d.classId)
      if (table === undefined) continue
      const dev = interfaceName(this.#o.interfacePrefix, d.path.localSlot, d.path.remoteSlot)
      for (const dst of this.#allowed.get(d.peerSiteId) ?? []) wanted.push({ table, dst, dev })
    }
    const replaced = await this.#applier.replace(wanted)
    if (replaced > 0) this.#log.debug({ replaced }, 'routes replaced')
    await this.#applier.prune(wanted)
    const cp = this.#controlPlaneRule()
    const rules: RuleSpec[] = [
      ...cp,
      ...this.#classRules.filter((c) => this.#classTables.has(c.classId)).flatMap((c) => c.rules),
    ]
    await this.#applier.rules(rules)
  }

  /** Keeps the control plane on its uplink while that is up, else the lowest up one. */
  #controlPlaneRule(): RuleSpec[] {
    const address = this.#o.controlPlaneAddress
    if (!address || address.includes(':')) return []
    const states = this.uplinkStates()
    const current = this.#cpSlot
    let slot: number | undefined
    if (current !== undefined && states.get(current) === 'up') slot = current
    else
      slot = [...states]
        .filter(([, s]) => s === 'up')
        .map(([k]) => k)
        .sort((a, b) => a - b)[0]
    if (slot !== current) {
      this.#log.info({ slot: slot ?? null, address }, 'control plane traffic via uplink')
      this.#cpSlot = slot
    }
    if (slot === undefined) return []
    return [
      {
        priority: this.#cpPriority,
        table: this.#uplinkTableBase + slot,
        to: `${address}/32`,
        family: 4,
      },
    ]
  }

  #push(event: AgentEvent): void {
    this.#events.push(event)
    this.#trim()
    for (const l of this.#listeners) l()
  }

  #trim(): void {
    const over = this.#events.length - EVENT_QUEUE_MAX
    if (over > 0) {
      this.#events.splice(0, over)
      this.#dropped += over
    }
  }

  #logOnce(key: string, message: string): void {
    if (this.#skippedLogged.has(key)) return
    this.#skippedLogged.add(key)
    this.#log.warn({}, message)
  }
}
