/**
 * Applies the path selector's choices to the kernel over rtnetlink (no `ip` process on
 * the hot path): the default class is the mesh table, each policy class its own table; a
 * class moves to a path by replacing, one netlink message per prefix, the routes to the
 * peer's prefixes and overlay address with routes via the path's `wg-i-j`. Replacing is
 * atomic per prefix, so a switch has no window without a route. Removals (a class or a peer
 * gone) happen only after every replacement, and new rules are added before old ones go.
 * What was applied is cached, so an unchanged decision costs no syscall.
 */
import type { Routing, RuleSpec } from '../routing/types'
import { ruleKey } from './class-rules'

export interface WantedRoute {
  table: number
  dst: string
  dev: string
}

const key = (table: number, dst: string) => `${table} ${dst}`

export class RouteApplier {
  /** (table dst) -> dev, as last applied by us. */
  readonly #routes = new Map<string, WantedRoute>()
  readonly #rules = new Map<string, RuleSpec>()

  constructor(
    private readonly routing: Routing,
    /** Tables whose routes this applier owns entirely (the class tables). */
    private readonly ownedTables: ReadonlySet<number>,
  ) {}

  /** Replaces changed routes; returns how many were replaced. */
  async replace(wanted: readonly WantedRoute[]): Promise<number> {
    let n = 0
    for (const r of wanted) {
      const k = key(r.table, r.dst)
      if (this.#routes.get(k)?.dev === r.dev) continue
      await this.routing.replaceRoute({ table: r.table, dst: r.dst, dev: r.dev })
      this.#routes.set(k, r)
      n++
    }
    return n
  }

  /** Deletes routes of owned tables that are not wanted (after replace). */
  async prune(wanted: readonly WantedRoute[]): Promise<void> {
    const keep = new Set(wanted.map((r) => key(r.table, r.dst)))
    for (const [k, r] of this.#routes) {
      if (keep.has(k)) continue
      this.#routes.delete(k)
      if (this.ownedTables.has(r.table)) await this.routing.deleteRoute(r)
    }
  }

  /** Forget cached routes through devices that no longer exist or for tables reset by others. */
  forget(predicate: (r: WantedRoute) => boolean): void {
    for (const [k, r] of this.#routes) if (predicate(r)) this.#routes.delete(k)
  }

  async rules(wanted: readonly RuleSpec[]): Promise<void> {
    const next = new Map(wanted.map((r) => [ruleKey(r), r]))
    for (const [k, r] of next) {
      if (this.#rules.has(k)) continue
      await this.routing.ensureRule(r)
      this.#rules.set(k, r)
    }
    for (const [k, r] of this.#rules) {
      if (next.has(k)) continue
      await this.routing.deleteRule(r)
      this.#rules.delete(k)
    }
  }

  /** Removes our rules first (traffic falls back to the mesh table), then class routes. */
  async close(): Promise<void> {
    await this.rules([])
    await this.prune([])
  }
}
