/**
 * The routing stage: the underlay each tunnel leaves by, and the host settings the mesh
 * relies on. Per uplink slot i: table uplinkTable(i) holds the uplink's default route (its
 * gateway read from the main table), a `fwmark uplinkMark(i)` rule sends the tunnels of
 * that uplink there and, in prod, a `from <uplink address>` rule does the same for traffic
 * sourced from it (probes, BFD). The plan's mesh-table rule sends everything else through
 * the overlay (the routes themselves are the overlay stage's).
 *
 * Kernel settings (when given a Sysctl): IPv4 forwarding (the site routes between its LAN
 * and the tunnels), put back as found on close.
 */

import type { Stage } from '../pipeline/stage'
import { inRange, MESH_PRIORITY_FIRST, PRIORITIES, TABLES } from '../plan/numbers'
import type { SitePlan } from '../plan/site-plan'
import type { Sysctl } from '../routing/sysctl'
import type { RouteSpec, Routing, RuleSpec } from '../routing/types'
import { attemptAll, reconcileRoutes, reconcileRules } from './reconcile'

const MAIN_TABLE = 254
const IP_FORWARD = 'net/ipv4/ip_forward'

export interface RoutingStageOptions {
  routing: Routing
  /** Kernel settings; absent = leave forwarding to the operator. */
  sysctl?: Sysctl | undefined
  log?: (message: string) => void
}

const uplinkTables = Array.from({ length: TABLES.uplink.count }, (_, i) => TABLES.uplink.base + i)

/** The rules this stage owns: the mesh range's rules pointing at uplink or mesh tables. */
export function isMeshRule(rule: RuleSpec): boolean {
  return (
    rule.priority >= MESH_PRIORITY_FIRST &&
    rule.priority <= PRIORITIES.mesh.base &&
    (inRange(TABLES.uplink, rule.table) || inRange(TABLES.mesh, rule.table))
  )
}

export function createRoutingStage(options: RoutingStageOptions): Stage {
  const { routing, sysctl } = options
  const log = options.log ?? (() => {})
  /** ip_forward as found before this stage changed it; undefined = not changed by us. */
  let forwardingBefore: string | undefined

  async function uplinkRoutes(plan: SitePlan): Promise<RouteSpec[]> {
    const main = await routing.routes(MAIN_TABLE)
    const wanted: RouteSpec[] = []
    for (const u of plan.mesh.uplinks) {
      if (!(await routing.link(u.interface))) {
        log(`uplink ${u.slot}: interface ${u.interface} is absent; its table stays empty`)
        continue
      }
      const defaults = main
        .filter((r) => r.dst === '0.0.0.0/0' && r.dev === u.interface)
        .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))
      const route: RouteSpec = { dst: '0.0.0.0/0', table: u.table, dev: u.interface }
      const gateway = defaults[0]?.gateway
      if (gateway) route.gateway = gateway
      wanted.push(route)
    }
    return wanted
  }

  /** In prod an uplink's address may sit behind NAT: its `from` rule uses the live one. */
  async function wantedRules(plan: SitePlan): Promise<RuleSpec[]> {
    const rules: RuleSpec[] = plan.mesh.rules.map((r) => ({ ...r }))
    if (plan.options.mode !== 'prod') return rules
    for (const u of plan.mesh.uplinks) {
      const addr = (await routing.addresses(u.interface)).find((a) => !a.cidr.includes(':'))
      if (!addr) continue
      const ip = addr.cidr.split('/')[0] ?? ''
      rules.push({
        priority: PRIORITIES.uplinkSource.base + u.slot,
        table: u.table,
        from: `${ip}/32`,
      })
    }
    return rules
  }

  async function ensureForwarding(): Promise<void> {
    if (!sysctl) return
    const value = await sysctl.read(IP_FORWARD)
    if (value === '1') return
    forwardingBefore ??= value ?? '0'
    await sysctl.write(IP_FORWARD, '1')
    log(`IPv4 forwarding enabled (was ${value ?? 'unknown'})`)
  }

  const stage: Stage = {
    name: 'routing',
    async apply(plan) {
      await ensureForwarding()
      await reconcileRoutes(routing, await uplinkRoutes(plan), uplinkTables)
      await reconcileRules(routing, await wantedRules(plan), isMeshRule)
    },
    async close() {
      const errors = await attemptAll([
        ['uplink routes', () => reconcileRoutes(routing, [], uplinkTables)],
        ['rules', () => reconcileRules(routing, [], isMeshRule)],
        [
          'ip_forward',
          async () => {
            const before = forwardingBefore
            if (!sysctl || before === undefined) return
            await sysctl.write(IP_FORWARD, before)
            forwardingBefore = undefined
          },
        ],
      ])
      if (errors.length > 0) throw new Error(errors.join('; '))
    },
  }
  // Reusable: a failed start is undone by the same teardown.
  return { ...stage, undo: stage.close }
}
