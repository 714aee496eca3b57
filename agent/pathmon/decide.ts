/**
 * Deciding each traffic class's path and steering the class onto it (the path monitor's
 * second part): the measured path states, the probes' quality and the predictor's flags go
 * into the path selector (agent/decision), and its decisions are applied by the
 * RouteApplier: the default class in the mesh table, policy classes in their own tables
 * behind `ip rule`s (class-rules.ts), together with the control plane's rule
 * (control-plane-rule.ts). At its first evaluation it removes the class rules and routes a
 * crashed predecessor left.
 */
import type { Clock } from '../clock'
import {
  type BatchScorer,
  buildPathInputs,
  type ClassDecision,
  classesFromDesiredState,
  DEFAULT_CLASS_ID,
  type DecisionResult,
  type PathAttributes,
  type PathInput,
  PathSelector,
  pathsFromDesiredState,
  type QualitySample,
} from '../decision'
import type { Logger } from '../logger'
import { interfaceName } from '../plan/mesh-plan'
import { inRange, MAX_CLASSES, PRIORITIES, TABLES } from '../plan/numbers'
import type { SitePlan } from '../plan/site-plan'
import type { Routing, RuleSpec } from '../routing/types'
import { RouteApplier, type WantedRoute } from './apply'
import type { ClassRules } from './class-rules'
import { ControlPlaneRule } from './control-plane-rule'
import type { UplinkState } from './report'

/** Policy classes with a table of their own (numbers.ts); the rest are not steered. */
export const MAX_STEERED_CLASSES = MAX_CLASSES

export interface PathDeciderOptions {
  clock: Clock
  routing: Routing
  interfacePrefix: string
  mode: 'lab' | 'prod'
  logger: Logger
  /** Routed through an uplink that is up, so reports reach it when the default one is dead. */
  controlPlaneAddress?: string | undefined
  batchScorer?: BatchScorer
}

/** What one evaluation knows of the paths. */
export interface MeasuredPaths {
  /** Keys of the monitored paths: any other path of the path model counts as down. */
  monitored: ReadonlySet<string>
  quality: readonly QualitySample[]
  isUp(key: string): boolean
  /** The predictor's flag for a path (absent: no predictor). */
  flagged?(key: string): boolean
}

const keyOf = (p: { peerSiteId: string; localSlot: number; remoteSlot: number }) =>
  `${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`

export class PathDecider {
  readonly #o: PathDeciderOptions
  readonly #log: Logger
  readonly #applier: RouteApplier
  readonly #meshTable = TABLES.mesh.base
  readonly #controlPlane: ControlPlaneRule
  #engine: PathSelector | undefined
  #attributes: PathAttributes[] = []
  #allowed = new Map<string, string[]>()
  #classTables = new Map<string, number>()
  #classRules: ClassRules[] = []
  #decisions: ClassDecision[] = []
  #swept = false
  /** The eBPF classifier marks flows per class (agent/bpf/wiring.ts): every class has a table. */
  #marked = false
  readonly #listeners = new Set<(d: readonly ClassDecision[]) => Promise<void>>()
  readonly #skippedLogged = new Set<string>()

  constructor(options: PathDeciderOptions) {
    this.#o = options
    this.#log = options.logger
    // Just past the mesh range: the routing stage leaves it alone.
    this.#controlPlane = new ControlPlaneRule({
      address: options.controlPlaneAddress,
      priority: PRIORITIES.controlPlane.base,
      uplinkTableBase: TABLES.uplink.base,
      logger: options.logger,
    })
    const owned = new Set(
      Array.from({ length: TABLES.class.count }, (_, k) => TABLES.class.base + k),
    )
    this.#applier = new RouteApplier(options.routing, owned)
  }

  get decisions(): readonly ClassDecision[] {
    return this.#decisions
  }

  /** True once a desired state has been given: there is something to decide. */
  get configured(): boolean {
    return this.#engine !== undefined
  }

  /** The device carrying the default class to a peer (the mesh engine's routeDevice hook). */
  routeDevice(peerSiteId: string): string | undefined {
    const d = this.#decisions.find(
      (x) => x.classId === DEFAULT_CLASS_ID && x.peerSiteId === peerSiteId,
    )
    if (!d?.path) return undefined
    return interfaceName(this.#o.interfacePrefix, d.path.localSlot, d.path.remoteSlot)
  }

  /**
   * With the eBPF classifier attached, classes that no `ip rule` can express (applications)
   * still get their table filled: the classifier's fwmark rules lead marked flows to it.
   * Takes effect on the next reconfig.
   */
  steerMarkedClasses(on: boolean): void {
    this.#marked = on
  }

  /** Classes, their tables and rules, and each peer's prefixes, from the site plan. */
  reconfig(plan: SitePlan): void {
    const desired = plan.desired
    this.#attributes = pathsFromDesiredState(desired)
    this.#allowed = new Map()
    for (const iface of plan.mesh.interfaces) {
      for (const p of iface.peers) this.#allowed.set(p.siteId, p.allowedIps)
    }
    const classes = classesFromDesiredState(desired)
    this.#classTables = new Map()
    this.#classRules = []
    // Policies past MAX_CLASSES are not in plan.classes (the plan's warnings say so).
    for (const { policy: p, match: r } of plan.classes) {
      if (r.skipped && this.#marked) {
        // No match rule, but the classifier's fwmark rule sends marked flows to the table.
        this.#logOnce(`marked:${p.id}`, `policy ${p.name}: ${r.skipped}; steered by mark only`)
        this.#classTables.set(p.id, r.table)
      } else if (r.skipped)
        this.#logOnce(`rules:${p.id}`, `policy ${p.name}: ${r.skipped}; not steered`)
      else this.#classTables.set(p.id, r.table)
      this.#classRules.push(r)
    }
    if (this.#engine) this.#engine.reconfig({ classes, failover: desired.failover })
    else {
      this.#engine = new PathSelector({
        clock: this.#o.clock,
        classes,
        failover: desired.failover,
        ...(this.#o.batchScorer ? { batchScorer: this.#o.batchScorer } : {}),
      })
    }
  }

  /**
   * The mesh engine has just reconciled the mesh table (maybe from an older choice, if a
   * decision changed while it ran): forget what we applied there, so the next apply
   * replaces every route again (idempotent) and the kernel matches the decision.
   */
  forgetMeshRoutes(): void {
    const meshTable = this.#meshTable
    this.#applier.forget((r) => r.table === meshTable)
  }

  /** Removes what a crashed predecessor left, once, before the first decision is applied. */
  async sweepOnce(): Promise<void> {
    if (this.#swept) return
    this.#swept = true
    const { routing } = this.#o
    for (const r of await routing.rules(4)) {
      if (inRange(PRIORITIES.classMatch, r.priority) && inRange(TABLES.class, r.table)) {
        await routing.deleteRule(r)
      }
    }
    for (const r of await routing.rules(4)) {
      if (inRange(PRIORITIES.controlPlane, r.priority) && inRange(TABLES.uplink, r.table)) {
        await routing.deleteRule(r)
      }
    }
    for (let k = 0; k < TABLES.class.count; k++) {
      for (const r of await routing.routes(TABLES.class.base + k)) await routing.deleteRoute(r)
    }
  }

  /** Runs the path selector over the paths as they are now; synchronous. */
  decide(paths: MeasuredPaths): DecisionResult | undefined {
    const inputs = this.inputsFor(paths)
    return inputs ? this.evaluate(inputs) : undefined
  }

  /** The path selector's input for the paths as they are now (before any plugin scores). */
  inputsFor(paths: MeasuredPaths): PathInput[] | undefined {
    if (!this.#engine) return undefined
    const inputs = buildPathInputs(
      this.#attributes,
      paths.quality,
      (p) => {
        const key = keyOf(p)
        return paths.monitored.has(key) && paths.isUp(key)
      },
      '1s',
    )
    const flagged = paths.flagged
    if (flagged) for (const i of inputs) i.predicted = flagged(keyOf(i))
    return inputs
  }

  /** Runs the path selector over `inputs` (inputsFor, maybe with plugin scores added). */
  evaluate(inputs: PathInput[]): DecisionResult | undefined {
    const engine = this.#engine
    if (!engine) return undefined
    const result = engine.evaluate(inputs)
    this.#decisions = result.decisions
    return result
  }

  /**
   * Makes routes and rules match the decisions, then tells the decision listeners.
   * `uplinks` is read after the routes are in place, so the control plane rule follows the
   * uplink states as they are then.
   */
  async apply(uplinks: () => ReadonlyMap<number, UplinkState>): Promise<void> {
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
    const rules: RuleSpec[] = [
      ...this.#controlPlane.rules(uplinks()),
      ...this.#classRules.filter((c) => this.#classTables.has(c.classId)).flatMap((c) => c.rules),
    ]
    await this.#applier.rules(rules)
    for (const listener of this.#listeners) {
      await listener(this.#decisions).catch((e: Error) =>
        this.#log.warn({ err: e.message }, 'decision listener'),
      )
    }
  }

  /** See PathMonitor.onDecisions. */
  onDecisions(listener: (decisions: readonly ClassDecision[]) => Promise<void>): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Removes our rules first (traffic falls back to the mesh table), then class routes. */
  close(): Promise<void> {
    return this.#applier.close()
  }

  #logOnce(key: string, message: string): void {
    if (this.#skippedLogged.has(key)) return
    this.#skippedLogged.add(key)
    this.#log.warn({}, message)
  }
}
