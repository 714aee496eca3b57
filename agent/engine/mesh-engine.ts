/**
 * The mesh engine: applies planMesh() through a WireGuard backend and rtnetlink routing.
 * Each reconfig compares the plan with the live state (not with what it believes it did),
 * so a partial failure, a restart or a hand edit converges on the next call. It touches
 * only what it owns: interfaces named `<prefix><hex>-<hex>`, rules in its priority range
 * pointing at its tables, routes in its tables.
 *
 * It also sets the two kernel settings the mesh relies on (when given a Sysctl): IPv4
 * forwarding (the site routes between its LAN and the tunnels) and loose reverse-path
 * filtering on its tunnel interfaces (docs/lab.md: with rp_filter 1 an asymmetric return path,
 * legitimate in an SD-WAN, loses everything). Forwarding is put back as found on close.
 */
import type { DesiredState } from '../../protocol/agent'
import { normaliseCidr } from '../../protocol/net'
import type { Sysctl } from '../routing/sysctl'
import type { RouteSpec, Routing, RuleSpec } from '../routing/types'
import type { WireGuardBackend, WireGuardDeviceConfig } from '../tunnels/types'
import type { Engine } from './engine'
import { MESH_DEFAULTS, type MeshPlan, type MeshPlanOptions, planMesh } from './mesh-plan'

const MAIN_TABLE = 254
/** Rule priorities the engine owns: [rulePriorityBase, rulePriorityBase + RULE_SPAN]. */
const RULE_SPAN = 100

export interface MeshEngineOptions extends MeshPlanOptions {
  backend: WireGuardBackend
  routing: Routing
  /** The site's WireGuard private key (base64); it never leaves the site. */
  privateKey: string
  /** Kernel settings (forwarding, rp_filter); absent = leave them to the operator. */
  sysctl?: Sysctl
  log?: (message: string) => void
  /**
   * The tunnel currently carrying the default class to a peer (the path monitor's choice),
   * so a reconfig keeps the active path instead of resetting the mesh table to the plan's
   * default path. Ignored when it names no planned interface holding that peer.
   */
  routeDevice?: (peerSiteId: string) => string | undefined
}

const IP_FORWARD = 'net/ipv4/ip_forward'
const rpFilterKey = (ifname: string) => `net/ipv4/conf/${ifname}/rp_filter`
/** rp_filter 2 = loose (RFC 3704 loose mode): the source must be routable by any interface. */
const RP_FILTER_LOOSE = '2'

export interface MeshEngine extends Engine {
  /** The plan of the last successful reconfig. */
  readonly plan: MeshPlan | undefined
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')
}

function routeKey(r: RouteSpec): string {
  return `${r.table} ${normaliseCidr(r.dst)} ${r.dev ?? ''} ${r.gateway ?? ''}`
}

function ruleKey(r: RuleSpec): string {
  return `${r.priority} ${r.table} ${r.fwmark ?? ''} ${r.from ? normaliseCidr(r.from) : ''}`
}

export function createMeshEngine(options: MeshEngineOptions): MeshEngine {
  const { backend, routing } = options
  const log = options.log ?? (() => {})
  const ownName = new RegExp(`^${escapeRegExp(options.interfacePrefix)}[0-9a-f]-[0-9a-f]$`)
  const priorityBase = options.rulePriorityBase ?? MESH_DEFAULTS.rulePriorityBase
  const tableBase = options.uplinkTableBase ?? MESH_DEFAULTS.uplinkTableBase
  const meshTable = options.meshTable ?? MESH_DEFAULTS.meshTable
  const ownTables = new Set<number>([
    ...Array.from({ length: 16 }, (_, i) => tableBase + i),
    meshTable,
  ])
  const sysctl = options.sysctl
  let current: MeshPlan | undefined
  let closed = false
  /** ip_forward as found before this engine changed it; undefined = not changed by us. */
  let forwardingBefore: string | undefined
  let queue: Promise<void> = Promise.resolve()

  /** Calls run one after another: a reconfig never interleaves with another or with close. */
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const result = queue.then(task)
    queue = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  async function uplinkRoutes(plan: MeshPlan): Promise<RouteSpec[]> {
    const main = await routing.routes(MAIN_TABLE)
    const wanted: RouteSpec[] = []
    for (const u of plan.uplinks) {
      const link = await routing.link(u.interface)
      if (!link) {
        log(`uplink ${u.slot}: interface ${u.interface} is absent; its table stays empty`)
        continue
      }
      const defaults = main
        .filter((r) => r.dst === '0.0.0.0/0' && r.dev === u.interface)
        .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))
      const gateway = defaults[0]?.gateway
      const route: RouteSpec = { dst: '0.0.0.0/0', table: u.table, dev: u.interface }
      if (gateway) route.gateway = gateway
      wanted.push(route)
    }
    return wanted
  }

  async function wantedRules(plan: MeshPlan): Promise<RuleSpec[]> {
    const rules: RuleSpec[] = plan.rules.map((r) => ({ ...r }))
    if (options.mode === 'prod') {
      for (const u of plan.uplinks) {
        const addr = (await routing.addresses(u.interface)).find((a) => !a.cidr.includes(':'))
        if (!addr) continue
        const ip = addr.cidr.split('/')[0] ?? ''
        rules.push({ priority: priorityBase + 16 + u.slot, table: u.table, from: `${ip}/32` })
      }
    }
    return rules
  }

  /** Replaces first, then deletes: a route moving to another device is never absent. */
  async function reconcileRoutes(wanted: RouteSpec[], tables: Iterable<number>): Promise<void> {
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

  /** The plan's mesh routes, each moved to the path monitor's device when it has one. */
  function meshRoutes(plan: MeshPlan): RouteSpec[] {
    const holds = new Set<string>()
    for (const iface of plan.interfaces) {
      for (const p of iface.peers) holds.add(`${iface.name} ${p.siteId}`)
    }
    const peerOf = new Map<string, string>()
    for (const iface of plan.interfaces) {
      for (const p of iface.peers) for (const a of p.allowedIps) peerOf.set(a, p.siteId)
    }
    return plan.routes.map((r) => {
      const peer = peerOf.get(r.dst)
      const dev = peer ? options.routeDevice?.(peer) : undefined
      const use = dev && holds.has(`${dev} ${peer}`) ? dev : r.dev
      return { dst: r.dst, table: r.table, dev: use }
    })
  }

  async function reconcileRules(wanted: RuleSpec[]): Promise<void> {
    const want = new Map(wanted.map((r) => [ruleKey(r), r]))
    for (const rule of await routing.rules(4)) {
      const ours =
        rule.priority >= priorityBase &&
        rule.priority <= priorityBase + RULE_SPAN &&
        ownTables.has(rule.table)
      if (!ours) continue
      if (want.has(ruleKey(rule))) continue
      await routing.deleteRule(rule)
    }
    for (const rule of want.values()) await routing.ensureRule(rule)
  }

  async function ensureForwarding(): Promise<void> {
    if (!sysctl) return
    const value = await sysctl.read(IP_FORWARD)
    if (value === '1') return
    forwardingBefore ??= value ?? '0'
    await sysctl.write(IP_FORWARD, '1')
    log(`IPv4 forwarding enabled (was ${value ?? 'unknown'})`)
  }

  /** Strict (1) becomes loose (2); off (0) and loose are left as they are. */
  async function ensureLooseRpFilter(ifname: string): Promise<void> {
    if (!sysctl) return
    const key = rpFilterKey(ifname)
    const value = await sysctl.read(key)
    if (value === undefined || value === '0' || value === RP_FILTER_LOOSE) return
    await sysctl.write(key, RP_FILTER_LOOSE)
  }

  async function ownInterfaces(): Promise<string[]> {
    return (await backend.list()).filter((name) => ownName.test(name))
  }

  async function apply(desired: DesiredState): Promise<void> {
    if (closed) throw new Error('mesh engine: reconfig after close')
    const plan = planMesh(desired, options)
    for (const warning of plan.warnings) log(`plan: ${warning}`)
    await ensureForwarding()

    // Underlay first: each uplink's table and rules, so tunnels leave by their uplink.
    const uplinkTables = [...ownTables].filter((t) => t !== meshTable)
    await reconcileRoutes(await uplinkRoutes(plan), uplinkTables)
    await reconcileRules(await wantedRules(plan))

    for (const iface of plan.interfaces) {
      await backend.up(iface.name)
      await ensureLooseRpFilter(iface.name)
      const config: WireGuardDeviceConfig = {
        privateKey: options.privateKey,
        listenPort: iface.listenPort,
        fwmark: iface.fwmark,
        peers: iface.peers.map((p) => ({
          publicKey: p.publicKey,
          ...(p.endpoint ? { endpoint: p.endpoint } : {}),
          allowedIps: p.allowedIps,
          persistentKeepalive: iface.keepaliveSeconds,
        })),
      }
      const { changed } = await backend.set(iface.name, config)
      if (changed) log(`${iface.name}: WireGuard config applied (${iface.peers.length} peers)`)
      const link = await routing.link(iface.name)
      if (!link?.up || link.mtu !== iface.mtu) {
        await routing.setLink(iface.name, { mtu: iface.mtu, up: true })
      }
      await routing.ensureAddress(iface.name, iface.address)
    }

    await reconcileRoutes(meshRoutes(plan), [meshTable])

    const planned = new Set(plan.interfaces.map((i) => i.name))
    for (const name of await ownInterfaces()) {
      if (planned.has(name)) continue
      await backend.down(name)
      log(`${name}: removed (no longer in the plan)`)
    }
    current = plan
  }

  async function teardown(): Promise<void> {
    if (closed) return
    closed = true
    const errors: string[] = []
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn()
      } catch (err) {
        errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
    await attempt('routes', () => reconcileRoutes([], ownTables))
    await attempt('rules', () => reconcileRules([]))
    for (const name of await ownInterfaces().catch(() => [] as string[])) {
      await attempt(`down ${name}`, () => backend.down(name))
    }
    await attempt('backend', () => backend.close())
    const before = forwardingBefore
    if (sysctl && before !== undefined) {
      await attempt('ip_forward', () => sysctl.write(IP_FORWARD, before))
      forwardingBefore = undefined
    }
    current = undefined
    if (errors.length > 0) throw new Error(`mesh engine close: ${errors.join('; ')}`)
  }

  return {
    get plan() {
      return current
    },
    reconfig: (desired) => serial(() => apply(desired)),
    close: () => serial(teardown),
  }
}
