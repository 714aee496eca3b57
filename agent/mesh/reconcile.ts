/**
 * Route and rule reconciliation shared by the mesh stages: compare what the plan wants with
 * what the kernel holds (never with what a stage believes it did), so a partial failure, a
 * restart or a hand edit converges on the next apply.
 */
import { normaliseCidr } from '../../protocol/net'
import type { RouteSpec, Routing, RuleSpec } from '../routing/types'

export function routeKey(r: RouteSpec): string {
  return `${r.table} ${normaliseCidr(r.dst)} ${r.dev ?? ''} ${r.gateway ?? ''}`
}

export function ruleKey(r: RuleSpec): string {
  return `${r.priority} ${r.table} ${r.fwmark ?? ''} ${r.from ? normaliseCidr(r.from) : ''}`
}

/**
 * Makes `tables` hold exactly `wanted`. Replaces first, then deletes: a route moving to
 * another device is never absent.
 */
export async function reconcileRoutes(
  routing: Routing,
  wanted: RouteSpec[],
  tables: Iterable<number>,
): Promise<void> {
  const want = new Map(wanted.map((r) => [routeKey(r), r]))
  const slot = (r: RouteSpec) => `${r.table} ${normaliseCidr(r.dst)} ${r.metric ?? ''}`
  const replaced = new Set(wanted.map(slot))
  const have = new Set<string>()
  const stale: RouteSpec[] = []
  for (const table of tables) {
    for (const route of await routing.routes(table)) {
      const key = routeKey(route)
      if (want.has(key)) have.add(key)
      else stale.push(route)
    }
  }
  for (const [key, route] of want) if (!have.has(key)) await routing.replaceRoute(route)
  for (const route of stale) if (!replaced.has(slot(route))) await routing.deleteRoute(route)
}

/** Makes the rules `owns` selects exactly `wanted` (IPv4 rules only, like the plan). */
export async function reconcileRules(
  routing: Routing,
  wanted: RuleSpec[],
  owns: (rule: RuleSpec) => boolean,
): Promise<void> {
  const want = new Map(wanted.map((r) => [ruleKey(r), r]))
  for (const rule of await routing.rules(4)) {
    if (!owns(rule) || want.has(ruleKey(rule))) continue
    await routing.deleteRule(rule)
  }
  for (const rule of want.values()) await routing.ensureRule(rule)
}

/** Runs every step, collecting failures: a close goes on past a failing step. */
export async function attemptAll(steps: [string, () => Promise<void>][]): Promise<string[]> {
  const errors: string[] = []
  for (const [what, fn] of steps) {
    try {
      await fn()
    } catch (error) {
      errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return errors
}
