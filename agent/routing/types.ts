/**
 * The routing contract of the agent: links, addresses, routes in numbered tables and
 * policy rules (fwmark -> table, from-address -> table). Implemented over rtnetlink
 * (rtnetlink.ts); nothing here shells out to `ip`, because a route change is on the
 * failover hot path (docs/lab.md: most of a 3 ms switch was starting `ip`).
 */

export interface LinkInfo {
  index: number
  name: string
  up: boolean
  mtu?: number
  /** linkinfo kind (veth, wireguard, ...), absent for plain devices and TUN */
  kind?: string
}

export interface AddressInfo {
  dev: string
  /** `address/length` with host bits, e.g. 10.255.0.1/32 */
  cidr: string
}

export interface RouteSpec {
  /** Destination prefix (`0.0.0.0/0` for default). */
  dst: string
  table: number
  dev?: string
  gateway?: string
  metric?: number
}

export interface RuleSpec {
  priority: number
  table: number
  fwmark?: number
  /** Mask for fwmark (default 0xffffffff when fwmark is set). */
  fwmask?: number
  /** Source prefix. */
  from?: string
  /** Destination prefix. */
  to?: string
  /** IPv4 TOS byte (DSCP << 2). */
  tos?: number
  /** IP protocol number (6 tcp, 17 udp, 1 icmp). */
  ipproto?: number
  /** Destination port range (needs kernel 4.17+). */
  dport?: { start: number; end: number }
  /** 4 or 6; taken from `from` when given, else 4. */
  family?: 4 | 6
}

export interface Routing {
  links(): Promise<LinkInfo[]>
  link(name: string): Promise<LinkInfo | undefined>
  /** Creates a link of a kind that needs no extra data (e.g. `wireguard`). */
  createLink(name: string, kind: string): Promise<void>
  /** Deleting an absent link is not an error. */
  deleteLink(name: string): Promise<void>
  setLink(name: string, change: { up?: boolean; mtu?: number }): Promise<void>
  addresses(dev?: string): Promise<AddressInfo[]>
  /** Idempotent. */
  ensureAddress(dev: string, cidr: string): Promise<void>
  removeAddress(dev: string, cidr: string): Promise<void>
  /** Routes of one table (ours or not). */
  routes(table: number, family?: 4 | 6): Promise<RouteSpec[]>
  /** Create or replace (idempotent). */
  replaceRoute(route: RouteSpec): Promise<void>
  /** Deleting an absent route is not an error. */
  deleteRoute(route: RouteSpec): Promise<void>
  rules(family?: 4 | 6): Promise<RuleSpec[]>
  /** Adds the rule unless an identical one exists. */
  ensureRule(rule: RuleSpec): Promise<void>
  /** Deleting an absent rule is not an error. */
  deleteRule(rule: RuleSpec): Promise<void>
  close(): void
}

export class RoutingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RoutingError'
  }
}
