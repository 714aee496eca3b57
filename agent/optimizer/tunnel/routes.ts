/**
 * The optimizer tunnel's routes and rules in the kernel: what was applied is remembered, so
 * that a reconfig adds only what is new and deletes only what is no longer wanted, and the
 * tunnel can order the two (new routes before the rules that lead to them, removed rules
 * before their routes). Also clears, once, what a crashed predecessor left in the optimizer's
 * rule priorities and tables. Kept apart from the tunnel, which decides what is wanted.
 */
import { ruleKey } from '../../pathmon/class-rules'
import type { Routing, RuleSpec } from '../../routing/types'
import {
  OPTIMIZER_MARK_RULE_PRIORITY,
  OPTIMIZER_MAX_CLASSES,
  OPTIMIZER_RULE_PRIORITY_BASE,
  OPTIMIZER_TABLE_BASE,
  type TunnelPlan,
} from './plan'

type TunnelRoute = TunnelPlan['routes'][number]

export class TunnelRoutes {
  readonly #routing: Routing
  readonly #routes = new Map<string, TunnelRoute>()
  readonly #rules = new Map<string, RuleSpec>()
  #swept = false

  constructor(routing: Routing) {
    this.#routing = routing
  }

  /** Adds or replaces the wanted routes; with `prune`, also deletes the others. */
  async applyRoutes(wanted: TunnelRoute[], prune: boolean): Promise<void> {
    const key = (r: { table: number; dst: string }) => `${r.table} ${r.dst}`
    const next = new Map(wanted.map((r) => [key(r), r]))
    for (const [k, r] of next) {
      if (this.#routes.get(k)?.dev === r.dev) continue
      await this.#routing.replaceRoute(r)
      this.#routes.set(k, r)
    }
    if (!prune) return
    for (const [k, r] of this.#routes) {
      if (next.has(k)) continue
      await this.#routing.deleteRoute(r)
      this.#routes.delete(k)
    }
  }

  /** Adds the wanted rules and deletes the others. */
  async applyRules(wanted: RuleSpec[]): Promise<void> {
    const next = new Map(wanted.map((r) => [`${ruleKey(r)} ${r.fwmark ?? ''}`, r]))
    for (const [k, r] of next) {
      if (this.#rules.has(k)) continue
      await this.#routing.ensureRule(r)
      this.#rules.set(k, r)
    }
    for (const [k, r] of this.#rules) {
      if (next.has(k)) continue
      await this.#routing.deleteRule(r)
      this.#rules.delete(k)
    }
  }

  /** A crashed predecessor may have left rules and routes (its TUNs died with it). */
  async sweepOnce(): Promise<void> {
    if (this.#swept) return
    this.#swept = true
    const routing = this.#routing
    const ours = (r: RuleSpec) =>
      r.priority >= OPTIMIZER_MARK_RULE_PRIORITY &&
      r.priority < OPTIMIZER_RULE_PRIORITY_BASE + OPTIMIZER_MAX_CLASSES &&
      r.table >= OPTIMIZER_TABLE_BASE &&
      r.table < OPTIMIZER_TABLE_BASE + OPTIMIZER_MAX_CLASSES
    for (const r of await routing.rules(4)) if (ours(r)) await routing.deleteRule(r)
    for (let k = 0; k < OPTIMIZER_MAX_CLASSES; k++) {
      for (const r of await routing.routes(OPTIMIZER_TABLE_BASE + k)) await routing.deleteRoute(r)
    }
  }
}
