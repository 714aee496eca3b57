/**
 * An in-memory Routing with the kernel's semantics that the agent relies on, so the whole
 * pipeline runs in unit tests without root (beside memorySysctl): links with up/MTU,
 * addresses, routes keyed by (table, destination, metric) as `ip route replace` does,
 * rules deduplicated by their selector, deletes of absent things ignored. `dump()` prints
 * the state as sorted text (`ip`-like lines), so a test compares whole states at once.
 *
 * Not modelled: route lookup, link-down route flushing, IPv6 rule families beyond keeping
 * them apart.
 */
import { normaliseCidr } from '../../protocol/net'
import type { AddressInfo, LinkInfo, RouteSpec, Routing, RuleSpec } from './types'

export interface MemoryRouting extends Routing {
  /** The whole state as sorted lines: links, addresses, routes, rules. */
  dump(): string
  /** Routes of one table as `dst dev`, sorted (for short assertions). */
  table(table: number): string[]
  /** Every mutating call in order (`replace-route ...`), for tests of ordering. */
  readonly calls: string[]
  /** Next call to `method` throws `error` (once). */
  failNext(method: keyof Routing, error: Error): void
  /**
   * A device created or removed outside rtnetlink (a TUN opened or closed through its file
   * descriptor), as fakes of such devices need. Removing drops its addresses and routes.
   */
  addLink(name: string, kind?: string): void
  removeLink(name: string): void
}

const cidr = (text: string) => normaliseCidr(text) ?? text

function routeSlot(r: RouteSpec): string {
  return `${r.table} ${cidr(r.dst)} ${r.metric ?? 0}`
}

export function routeText(r: RouteSpec): string {
  const parts = [`table ${r.table}`, cidr(r.dst)]
  if (r.gateway) parts.push(`via ${r.gateway}`)
  if (r.dev) parts.push(`dev ${r.dev}`)
  if (r.metric !== undefined) parts.push(`metric ${r.metric}`)
  return parts.join(' ')
}

export function ruleText(r: RuleSpec): string {
  const parts = [`${r.priority}:`]
  if (r.from) parts.push(`from ${cidr(r.from)}`)
  if (r.to) parts.push(`to ${cidr(r.to)}`)
  if (r.fwmark !== undefined) {
    parts.push(`fwmark 0x${r.fwmark.toString(16)}`)
    if (r.fwmask !== undefined && r.fwmask !== 0xffffffff) parts.push(`/0x${r.fwmask.toString(16)}`)
  }
  if (r.tos !== undefined) parts.push(`tos ${r.tos}`)
  if (r.ipproto !== undefined) parts.push(`ipproto ${r.ipproto}`)
  if (r.dport) parts.push(`dport ${r.dport.start}-${r.dport.end}`)
  parts.push(`lookup ${r.table}`)
  return parts.join(' ')
}

const ruleFamily = (r: RuleSpec) => r.family ?? (r.from?.includes(':') ? 6 : 4)

export function memoryRouting(
  initial: {
    links?: string[]
    routes?: RouteSpec[]
    addresses?: AddressInfo[]
    /** Called when a link goes (e.g. to drop its per-device sysctls, as the kernel does). */
    onLinkRemoved?: (name: string) => void
  } = {},
): MemoryRouting {
  const links = new Map<string, LinkInfo>()
  const addresses: AddressInfo[] = [...(initial.addresses ?? [])]
  const routes = new Map<string, RouteSpec>()
  const rules = new Map<string, RuleSpec>()
  const calls: string[] = []
  const failures = new Map<string, Error>()
  let nextIndex = 1
  for (const name of initial.links ?? []) links.set(name, { index: nextIndex++, name, up: true })
  for (const r of initial.routes ?? []) routes.set(routeSlot(r), { ...r })

  function step(method: keyof Routing, text: string): void {
    const failure = failures.get(method)
    if (failure) {
      failures.delete(method)
      throw failure
    }
    if (text) calls.push(text)
  }

  function removeLink(name: string): void {
    links.delete(name)
    for (let k = addresses.length - 1; k >= 0; k--) {
      if (addresses[k]?.dev === name) addresses.splice(k, 1)
    }
    // The kernel drops the routes through a deleted device.
    for (const [key, r] of routes) if (r.dev === name) routes.delete(key)
    initial.onLinkRemoved?.(name)
  }

  return {
    calls,
    failNext(method, error) {
      failures.set(method, error)
    },
    addLink(name, kind) {
      if (!links.has(name))
        links.set(name, { index: nextIndex++, name, up: false, ...(kind ? { kind } : {}) })
    },
    removeLink,
    async links() {
      step('links', '')
      return [...links.values()].map((l) => ({ ...l }))
    },
    async link(name) {
      step('link', '')
      const l = links.get(name)
      return l ? { ...l } : undefined
    },
    async createLink(name, kind) {
      step('createLink', `create-link ${name} ${kind}`)
      if (!links.has(name)) links.set(name, { index: nextIndex++, name, up: false, kind })
    },
    async deleteLink(name) {
      step('deleteLink', `delete-link ${name}`)
      removeLink(name)
    },
    async setLink(name, change) {
      step('setLink', `set-link ${name} ${JSON.stringify(change)}`)
      const l = links.get(name)
      if (!l) throw new Error(`setLink ${name}: no such device`)
      if (change.up !== undefined) l.up = change.up
      if (change.mtu !== undefined) l.mtu = change.mtu
    },
    async addresses(dev) {
      step('addresses', '')
      return addresses.filter((a) => dev === undefined || a.dev === dev).map((a) => ({ ...a }))
    },
    async ensureAddress(dev, text) {
      step('ensureAddress', `ensure-address ${dev} ${text}`)
      if (!links.has(dev)) throw new Error(`ensureAddress ${dev}: no such device`)
      if (!addresses.some((a) => a.dev === dev && a.cidr === text))
        addresses.push({ dev, cidr: text })
    },
    async removeAddress(dev, text) {
      step('removeAddress', `remove-address ${dev} ${text}`)
      const k = addresses.findIndex((a) => a.dev === dev && a.cidr === text)
      if (k >= 0) addresses.splice(k, 1)
    },
    async routes(table, family = 4) {
      step('routes', '')
      return [...routes.values()]
        .filter((r) => r.table === table && (family === 6) === r.dst.includes(':'))
        .map((r) => ({ ...r }))
    },
    async replaceRoute(route) {
      step('replaceRoute', `replace-route ${routeText(route)}`)
      if (route.dev && !links.has(route.dev)) {
        throw new Error(`replaceRoute ${routeText(route)}: no such device`)
      }
      routes.set(routeSlot(route), { ...route, dst: cidr(route.dst) })
    },
    async deleteRoute(route) {
      step('deleteRoute', `delete-route ${routeText(route)}`)
      routes.delete(routeSlot(route))
    },
    async rules(family = 4) {
      step('rules', '')
      return [...rules.values()].filter((r) => ruleFamily(r) === family).map((r) => ({ ...r }))
    },
    async ensureRule(rule) {
      step('ensureRule', `ensure-rule ${ruleText(rule)}`)
      const key = `${ruleFamily(rule)} ${ruleText(rule)}`
      if (!rules.has(key)) rules.set(key, { ...rule })
    },
    async deleteRule(rule) {
      step('deleteRule', `delete-rule ${ruleText(rule)}`)
      rules.delete(`${ruleFamily(rule)} ${ruleText(rule)}`)
    },
    close() {},
    table(table) {
      return [...routes.values()]
        .filter((r) => r.table === table)
        .map((r) => `${r.dst} ${r.dev}`)
        .sort()
    },
    dump() {
      const lines = [
        ...[...links.values()].map(
          (l) => `link ${l.name} ${l.up ? 'up' : 'down'}${l.mtu ? ` mtu ${l.mtu}` : ''}`,
        ),
        ...addresses.map((a) => `addr ${a.dev} ${a.cidr}`),
        ...[...routes.values()].map((r) => `route ${routeText(r)}`),
        ...[...rules.values()].map((r) => `rule ${ruleText(r)}`),
      ]
      return lines.sort().join('\n')
    },
  }
}
