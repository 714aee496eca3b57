/**
 * ECMP in the running agent: after every path-monitor evaluation (a BFD change, a probe
 * window, a reconfig) the load-balance classes' buckets, tables and fwmark rules follow the
 * path selector's member paths and weights (ecmp-plan.ts). Order of a change, so that no
 * packet meets a mark without a table: new rules and routes first (a path that left has its
 * table pointed at the class's primary path at once, one netlink message per prefix), then
 * the classifier's buckets (bpftool), then the rules and routes nothing points at any more.
 * An unchanged plan costs no syscall (RouteApplier and the last marks are cached).
 */
import type { DesiredState } from '../../protocol/agent'
import { MAX_CLASSES } from '../bpf/layout'
import { CLASSIFIER_RULE_PRIORITY, type ClassifierWiring } from '../bpf/wiring'
import type { ClassDecision, PathRef } from '../decision'
import type { Logger } from '../logger'
import { RouteApplier } from '../pathmon/apply'
import type { SitePlan } from '../plan/site-plan'
import type { Routing, RuleSpec } from '../routing/types'
import {
  ECMP_TABLE_BASE,
  EcmpPlanner,
  healthFactor,
  isEcmpTable,
  MAX_ECMP_PATHS,
} from './ecmp-plan'

/** What ECMP reads of the quality prober's snapshot. */
export interface PathLoss extends PathRef {
  loss: Record<string, number | null>
}

export interface EcmpSteeringOptions {
  routing: Routing
  wiring: Pick<ClassifierWiring, 'setBalance'>
  logger: Logger
  interfacePrefix: string
  mode: 'lab' | 'prod'
  /** Recent loss per path (the quality prober's snapshot); health scales the weights. */
  quality?: () => readonly PathLoss[]
  rulePriority?: number
}

export class EcmpSteering {
  readonly #o: EcmpSteeringOptions
  readonly #log: Logger
  readonly #planner = new EcmpPlanner()
  readonly #applier: RouteApplier
  readonly #priority: number
  #desired: DesiredState | undefined
  #allowed = new Map<string, string[]>()
  #lastMarks = ''
  #lastShares = ''
  /** The rules of the last plan: kept until the new buckets are written. */
  #rules: RuleSpec[] = []
  #swept = false
  #closed = false
  #chain: Promise<void> = Promise.resolve()

  constructor(options: EcmpSteeringOptions) {
    this.#o = options
    this.#log = options.logger.child({ component: 'ecmp' })
    this.#priority = options.rulePriority ?? CLASSIFIER_RULE_PRIORITY
    const owned = new Set(
      Array.from({ length: MAX_CLASSES * MAX_ECMP_PATHS }, (_, k) => ECMP_TABLE_BASE + k),
    )
    this.#applier = new RouteApplier(options.routing, owned)
  }

  /** The site plan the next update plans from (peers' prefixes, policy order). */
  setPlan(plan: SitePlan): void {
    this.#desired = plan.desired
    const allowed = new Map<string, string[]>()
    for (const iface of plan.mesh.interfaces)
      for (const p of iface.peers) allowed.set(p.siteId, p.allowedIps)
    this.#allowed = allowed
  }

  /** Follows the decisions (serialised: one update at a time, in call order). */
  update(decisions: readonly ClassDecision[]): Promise<void> {
    const run = () => this.#update(decisions)
    const next = this.#chain.then(run, run)
    this.#chain = next.catch(() => {})
    return next
  }

  async #update(decisions: readonly ClassDecision[]): Promise<void> {
    const desired = this.#desired
    if (!desired || this.#closed) return
    if (!this.#swept) await this.#sweep()
    const loss = new Map<string, number | null>()
    for (const q of this.#o.quality?.() ?? [])
      loss.set(`${q.peerSiteId}/${q.localSlot}/${q.remoteSlot}`, q.loss['10s'] ?? null)
    const plan = this.#planner.plan({
      desired,
      decisions,
      interfacePrefix: this.#o.interfacePrefix,
      allowedIps: this.#allowed,
      health: (p) => healthFactor(loss.get(`${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`)),
      rulePriority: this.#priority,
    })
    for (const w of plan.warnings) this.#log.warn({}, w)
    await this.#applier.replace([...plan.routes, ...plan.retiring])
    const marks = JSON.stringify([plan.marks, plan.perPacket])
    if (marks !== this.#lastMarks) {
      await this.#applier.rules([...this.#rules, ...plan.rules])
      await this.#o.wiring.setBalance(plan.marks, plan.perPacket)
      this.#lastMarks = marks
    }
    await this.#applier.rules(plan.rules)
    this.#rules = plan.rules
    await this.#applier.prune(plan.routes)
    const shares = JSON.stringify([plan.shares, plan.perPacket])
    if (shares !== this.#lastShares) {
      this.#lastShares = shares
      this.#log.info({ shares: plan.shares, perPacket: plan.perPacket }, 'ecmp buckets')
    }
  }

  /** A crashed predecessor may have left ECMP rules and routes: start from none. */
  async #sweep(): Promise<void> {
    this.#swept = true
    const { routing } = this.#o
    const tables = new Set<number>()
    for (const r of await routing.rules(4)) {
      if (r.priority === this.#priority && r.fwmark !== undefined && isEcmpTable(r.table)) {
        tables.add(r.table)
        await routing.deleteRule(r)
      }
    }
    for (const t of tables) for (const r of await routing.routes(t)) await routing.deleteRoute(r)
  }

  /** Removes the buckets (flows fall back to the class tables), then rules and routes. */
  async close(): Promise<void> {
    if (this.#closed) return
    await this.#chain
    this.#closed = true
    const errors: string[] = []
    if (this.#lastMarks)
      await this.#o.wiring
        .setBalance({}, [])
        .catch((e: Error) => errors.push(`buckets: ${e.message}`))
    await this.#applier.close().catch((e: Error) => errors.push(`routing: ${e.message}`))
    if (errors.length) throw new Error(`ecmp close: ${errors.join('; ')}`)
  }
}
