/**
 * In-memory platform for path monitor tests (no root, no sockets, no kernel): a routing
 * table set, an underlay that carries BFD and quality probes between uplink addresses and
 * can cut a link, a WireGuard backend that reports live tunnels, a clock wrapper that
 * counts outstanding sleeps, and a logger whose lines a test can read.
 */
import type { Clock } from '../clock'
import { createLogger, type Logger } from '../logger'
import type { BfdTransport, Remote } from '../probes/bfd'
import { MemoryNetwork, type ProbeSocketFactory } from '../probes/quality'
import type { AddressInfo, LinkInfo, RouteSpec, Routing, RuleSpec } from '../routing/types'
import type { WireGuardBackend, WireGuardDeviceState } from '../tunnels/types'
import type { OpenTransport } from './bfd-set'
import { ruleKey } from './class-rules'

type RoutingOp = 'replaceRoute' | 'deleteRoute' | 'ensureRule' | 'deleteRule'

/**
 * Routes per table (one per destination, as the kernel's replace gives) and rules, with the
 * same idempotence as the rtnetlink implementation. `failNext(op)` makes the next call of
 * that operation throw, to test what callers do with a netlink error.
 */
export class MemoryRouting implements Routing {
  readonly #routes = new Map<number, Map<string, RouteSpec>>()
  readonly #rules = new Map<string, RuleSpec>()
  readonly #failing = new Map<RoutingOp, string>()
  readonly #addresses: AddressInfo[] = []

  /** The next call of `op` throws `message` (once). */
  failNext(op: RoutingOp, message: string): void {
    this.#failing.set(op, message)
  }

  /** Routes of a table as `dst dev`, sorted (for assertions). */
  table(table: number): string[] {
    return [...(this.#routes.get(table)?.values() ?? [])].map((r) => `${r.dst} ${r.dev}`).sort()
  }

  /** Every route of every table. */
  get routeCount(): number {
    return [...this.#routes.values()].reduce((n, t) => n + t.size, 0)
  }

  async links(): Promise<LinkInfo[]> {
    return []
  }
  async link(): Promise<LinkInfo | undefined> {
    return undefined
  }
  async createLink(): Promise<void> {}
  async deleteLink(): Promise<void> {}
  async setLink(): Promise<void> {}
  async addresses(dev?: string): Promise<AddressInfo[]> {
    return this.#addresses.filter((a) => dev === undefined || a.dev === dev)
  }
  async ensureAddress(dev: string, cidr: string): Promise<void> {
    if (!this.#addresses.some((a) => a.dev === dev && a.cidr === cidr))
      this.#addresses.push({ dev, cidr })
  }
  async removeAddress(): Promise<void> {}

  async routes(table: number): Promise<RouteSpec[]> {
    return [...(this.#routes.get(table)?.values() ?? [])].map((r) => ({ ...r }))
  }
  async replaceRoute(route: RouteSpec): Promise<void> {
    this.#maybeFail('replaceRoute')
    const t = this.#routes.get(route.table) ?? new Map<string, RouteSpec>()
    t.set(route.dst, { ...route })
    this.#routes.set(route.table, t)
  }
  async deleteRoute(route: RouteSpec): Promise<void> {
    this.#maybeFail('deleteRoute')
    this.#routes.get(route.table)?.delete(route.dst)
  }
  async rules(): Promise<RuleSpec[]> {
    return [...this.#rules.values()].map((r) => ({ ...r }))
  }
  async ensureRule(rule: RuleSpec): Promise<void> {
    this.#maybeFail('ensureRule')
    this.#rules.set(ruleKey(rule), { ...rule })
  }
  async deleteRule(rule: RuleSpec): Promise<void> {
    this.#maybeFail('deleteRule')
    this.#rules.delete(ruleKey(rule))
  }
  close(): void {}

  #maybeFail(op: RoutingOp): void {
    const message = this.#failing.get(op)
    if (message === undefined) return
    this.#failing.delete(op)
    throw new Error(message)
  }
}

/**
 * The WAN between uplink addresses, for BFD (`openBfd`) and the quality probes
 * (`probeSockets`). Delivery is a microtask; a cut link drops both ways. `failClose` makes
 * every BFD transport's close reject (a shutdown step that throws).
 */
export class MemoryUnderlay {
  readonly #bfd = new Map<string, (packet: Buffer, from: Remote) => void>()
  readonly #cut = new Set<string>()
  readonly probeSockets: MemoryNetwork & ProbeSocketFactory
  failClose: string | undefined

  constructor(clock: Clock) {
    this.probeSockets = new MemoryNetwork({
      clock,
      drop: (d) => this.isCut(d.from.address, d.to.address),
    })
  }

  cut(a: string, b: string): void {
    this.#cut.add(linkKey(a, b))
  }

  heal(a: string, b: string): void {
    this.#cut.delete(linkKey(a, b))
  }

  isCut(a: string, b: string): boolean {
    return this.#cut.has(linkKey(a, b))
  }

  /** Addresses with an open BFD transport. */
  get bfdBound(): string[] {
    return [...this.#bfd.keys()].sort()
  }

  readonly openBfd: OpenTransport = async (localAddress) => {
    if (this.#bfd.has(localAddress)) throw new Error(`bfd on ${localAddress}: address in use`)
    this.#bfd.set(localAddress, () => {})
    const transport: BfdTransport = {
      send: (packet, to) => {
        if (this.isCut(localAddress, to.address)) return
        const copy = Buffer.from(packet)
        queueMicrotask(() =>
          this.#bfd.get(to.address)?.(copy, { address: localAddress, port: 49152 }),
        )
      },
      onPacket: (handler) => {
        this.#bfd.set(localAddress, handler)
      },
      close: async () => {
        this.#bfd.delete(localAddress)
        if (this.failClose !== undefined) throw new Error(this.failClose)
      },
    }
    return transport
  }
}

const linkKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`)

/**
 * A WireGuard backend that knows, per interface, the peers with a session and their last
 * handshake; `get` of an interface it does not know fails like a missing device.
 */
export class FakeWireGuard implements Pick<WireGuardBackend, 'get'> {
  readonly #devices = new Map<string, Map<string, number>>()

  /** The interface exists with these peers, last handshake at `handshakeMs`. */
  setPeers(ifname: string, publicKeys: readonly string[], handshakeMs: number): void {
    this.#devices.set(ifname, new Map(publicKeys.map((k) => [k, handshakeMs])))
  }

  remove(ifname: string): void {
    this.#devices.delete(ifname)
  }

  async get(ifname: string): Promise<WireGuardDeviceState> {
    const peers = this.#devices.get(ifname)
    if (!peers) throw new Error(`wireguard ${ifname}: no such device`)
    return {
      listenPort: 0,
      fwmark: 0,
      peers: [...peers].map(([publicKey, lastHandshakeMs]) => ({
        publicKey,
        allowedIps: [],
        persistentKeepalive: 0,
        lastHandshakeMs,
        rxBytes: 0n,
        txBytes: 0n,
      })),
    }
  }
}

/** A view of `clock` that counts its own sleeps still pending (timers a component left). */
export function countingClock(clock: Clock): Clock & { readonly pending: number } {
  let pending = 0
  return {
    now: () => clock.now(),
    async sleep(ms, signal) {
      pending++
      try {
        await clock.sleep(ms, signal)
      } finally {
        pending--
      }
    },
    get pending() {
      return pending
    },
  }
}

export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

/** A debug-level logger whose parsed lines are kept in `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const logger = createLogger('debug', {
    write(line: string) {
      lines.push(JSON.parse(line) as LogLine)
    },
  })
  return { logger, lines }
}
