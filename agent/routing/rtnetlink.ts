/**
 * Routing over rtnetlink (the `netlink` package, mildsunrise 0.3.0). One socket per
 * instance, in the network namespace of the process that creates it. Requests carry a
 * timeout; "already there" and "already gone" answers are not errors, so every operation
 * can be repeated (docs/house-style.md, rule 6).
 */
import { AttrStream, createRtNetlink, FlagsNew, ifla, type RtNetlinkSocket, type rt } from 'netlink'
import { normaliseCidr } from '../../protocol/net'
import { AF_INET, AF_INET6, afOf, bufferToIp, familyOfAf, ipToBuffer, splitCidr } from './addr'
import {
  type AddressInfo,
  type LinkInfo,
  type RouteSpec,
  type Routing,
  RoutingError,
  type RuleSpec,
} from './types'

/** rtm_protocol / FRA_PROTOCOL of what the agent installs (values >= 4 are user-defined). */
export const PATRONUS_RTPROT = 121
const REQUEST_TIMEOUT_MS = 3_000
const RT_TABLE_UNSPEC = 0
const NEW = FlagsNew.CREATE | FlagsNew.REPLACE

function rejected(err: unknown, ...codes: string[]): boolean {
  const message = err instanceof Error ? err.message : String(err)
  return codes.some((code) => message.includes(code))
}

function tableFields(table: number): { header: number; attr: number } {
  // The header's table is 8 bits; larger ids travel only in the RTA_TABLE/FRA_TABLE attribute.
  return { header: table < 256 ? table : RT_TABLE_UNSPEC, attr: table }
}

export class RtNetlinkRouting implements Routing {
  private readonly socket: RtNetlinkSocket
  private closed = false
  /**
   * The kernel runs one dump per netlink socket at a time: a second dump while one is in
   * flight is refused (EBUSY) or interleaves its parts ("Multipart message not terminated
   * properly"), which the stages and the path monitor, sharing this socket, used to hit
   * when a decision was applied during a reconfig. Dumps wait for each other; single
   * requests (a route replace on the failover path) never wait.
   */
  private dumps: Promise<unknown> = Promise.resolve()

  private dump<T>(run: () => Promise<T>): Promise<T> {
    const result = this.dumps.then(run, run)
    this.dumps = result.catch(() => undefined)
    return result
  }

  constructor(socket?: RtNetlinkSocket) {
    this.socket = socket ?? createRtNetlink()
  }

  private opts(flags = 0) {
    return { timeout: REQUEST_TIMEOUT_MS, flags }
  }

  async links(): Promise<LinkInfo[]> {
    const messages = await this.dump(() => this.socket.getLinks(undefined, undefined, this.opts()))
    return messages.map((m) => {
      const info: LinkInfo = {
        index: m.data.index ?? 0,
        name: m.attrs.ifname ?? '',
        up: m.data.flags?.up === true,
      }
      if (m.attrs.mtu !== undefined) info.mtu = m.attrs.mtu
      if (m.attrs.linkinfo) {
        const kind = ifla.parseInfo(m.attrs.linkinfo).kind
        if (kind) info.kind = kind.replace(/\0+$/, '')
      }
      return info
    })
  }

  async link(name: string): Promise<LinkInfo | undefined> {
    return (await this.links()).find((l) => l.name === name)
  }

  private async indexOf(name: string): Promise<number> {
    const link = await this.link(name)
    if (!link) throw new RoutingError(`no link named ${name}`)
    return link.index
  }

  async createLink(name: string, kind: string): Promise<void> {
    if (await this.link(name)) return
    const info = new AttrStream()
    info.emit(ifla.formatInfo({ kind }))
    const linkinfo = Buffer.concat(info.bufs)
    try {
      await this.socket.newLink(
        {},
        { ifname: name, linkinfo },
        this.opts(FlagsNew.CREATE | FlagsNew.EXCL),
      )
    } catch (err) {
      if (!rejected(err, 'EEXIST')) throw new RoutingError(`create link ${name} (${kind}): ${err}`)
    }
  }

  async deleteLink(name: string): Promise<void> {
    const link = await this.link(name)
    if (!link) return
    try {
      await this.socket.delLink({ index: link.index }, undefined, this.opts())
    } catch (err) {
      if (!rejected(err, 'ENODEV', 'ENOENT')) throw new RoutingError(`delete link ${name}: ${err}`)
    }
  }

  async setLink(name: string, change: { up?: boolean; mtu?: number }): Promise<void> {
    const index = await this.indexOf(name)
    const data: rt.Link = { index }
    if (change.up !== undefined) {
      data.change = { up: true }
      data.flags = change.up ? { up: true } : {}
    }
    const attrs: ifla.LinkAttrs = {}
    if (change.mtu !== undefined) attrs.mtu = change.mtu
    try {
      await this.socket.setLink(data, attrs, this.opts())
    } catch (err) {
      throw new RoutingError(`set link ${name} ${JSON.stringify(change)}: ${err}`)
    }
  }

  async addresses(dev?: string): Promise<AddressInfo[]> {
    const links = new Map((await this.links()).map((l) => [l.index, l.name]))
    const messages = await this.dump(() =>
      this.socket.getAddresses(undefined, undefined, this.opts()),
    )
    const out: AddressInfo[] = []
    for (const m of messages) {
      const name = links.get(m.data.index ?? -1)
      const bytes = m.attrs.local ?? m.attrs.address
      if (!name || !bytes || (dev && name !== dev)) continue
      out.push({ dev: name, cidr: `${bufferToIp(bytes)}/${m.data.prefixlen ?? 0}` })
    }
    return out
  }

  async ensureAddress(dev: string, cidr: string): Promise<void> {
    const { family, address, length } = splitCidr(cidr)
    const existing = await this.addresses(dev)
    if (existing.some((a) => a.cidr === `${address}/${length}`)) return
    const index = await this.indexOf(dev)
    const bytes = ipToBuffer(address).bytes
    try {
      await this.socket.newAddress(
        { family: afOf(family), prefixlen: length, index },
        { local: bytes, address: bytes },
        this.opts(NEW),
      )
    } catch (err) {
      if (!rejected(err, 'EEXIST')) throw new RoutingError(`add address ${cidr} to ${dev}: ${err}`)
    }
  }

  async removeAddress(dev: string, cidr: string): Promise<void> {
    const { family, address, length } = splitCidr(cidr)
    const link = await this.link(dev)
    if (!link) return
    const bytes = ipToBuffer(address).bytes
    try {
      await this.socket.delAddress(
        { family: afOf(family), prefixlen: length, index: link.index },
        { local: bytes, address: bytes },
        this.opts(),
      )
    } catch (err) {
      if (!rejected(err, 'EADDRNOTAVAIL', 'ENOENT', 'ENODEV')) {
        throw new RoutingError(`remove address ${cidr} from ${dev}: ${err}`)
      }
    }
  }

  async routes(table: number, family: 4 | 6 = 4): Promise<RouteSpec[]> {
    const links = new Map((await this.links()).map((l) => [l.index, l.name]))
    const messages = await this.dump(() =>
      this.socket.getRoutes({ family: afOf(family) }, undefined, this.opts()),
    )
    const out: RouteSpec[] = []
    for (const m of messages) {
      const t = m.attrs.table ?? m.data.table ?? 0
      if (t !== table) continue
      const type = m.data.type
      if (type !== undefined && type !== 'UNICAST' && type !== 1) continue
      const dst = m.attrs.dst
        ? `${bufferToIp(m.attrs.dst)}/${m.data.dstLen ?? 0}`
        : family === 4
          ? '0.0.0.0/0'
          : '::/0'
      const route: RouteSpec = { dst, table }
      const dev = m.attrs.oif !== undefined ? links.get(m.attrs.oif) : undefined
      if (dev) route.dev = dev
      if (m.attrs.gateway) route.gateway = bufferToIp(m.attrs.gateway)
      if (m.attrs.priority !== undefined) route.metric = m.attrs.priority
      out.push(route)
    }
    return out
  }

  private async routeMessage(route: RouteSpec): Promise<[rt.Route, rt.RouteAttrs]> {
    const dst = normaliseCidr(route.dst)
    if (!dst) throw new RoutingError(`route destination ${route.dst} is not a CIDR`)
    const { family, address, length } = splitCidr(dst)
    const { header, attr } = tableFields(route.table)
    const data: rt.Route = {
      family: afOf(family),
      dstLen: length,
      table: header,
      protocol: PATRONUS_RTPROT as rt.RouteProtocol,
      scope: route.gateway ? 'UNIVERSE' : 'LINK',
      type: 'UNICAST',
    }
    const attrs: rt.RouteAttrs = { table: attr }
    if (length > 0) attrs.dst = ipToBuffer(address).bytes
    if (route.dev) attrs.oif = await this.indexOf(route.dev)
    if (route.gateway) attrs.gateway = ipToBuffer(route.gateway).bytes
    if (route.metric !== undefined) attrs.priority = route.metric
    return [data, attrs]
  }

  async replaceRoute(route: RouteSpec): Promise<void> {
    const [data, attrs] = await this.routeMessage(route)
    try {
      await this.socket.newRoute(data, attrs, this.opts(NEW))
    } catch (err) {
      throw new RoutingError(`replace route ${JSON.stringify(route)}: ${err}`)
    }
  }

  async deleteRoute(route: RouteSpec): Promise<void> {
    if (route.dev && !(await this.link(route.dev))) return
    const [data, attrs] = await this.routeMessage(route)
    // Delete by destination, table, device; not by protocol or scope.
    data.protocol = undefined
    data.scope = 'NOWHERE'
    try {
      await this.socket.delRoute(data, attrs, this.opts())
    } catch (err) {
      if (!rejected(err, 'ESRCH', 'ENOENT')) {
        throw new RoutingError(`delete route ${JSON.stringify(route)}: ${err}`)
      }
    }
  }

  async rules(family: 4 | 6 = 4): Promise<RuleSpec[]> {
    const messages = await this.dump(() =>
      this.socket.getRules({ family: afOf(family) }, undefined, this.opts()),
    )
    return messages
      .filter((m) => m.data.action === 'toTbl' || m.data.action === 1)
      .map((m) => {
        const rule: RuleSpec = {
          priority: m.attrs.priority ?? 0,
          table: m.attrs.table ?? m.data.table ?? 0,
          family: familyOfAf(m.data.family ?? AF_INET) ?? 4,
        }
        if (m.attrs.fwmark !== undefined) {
          rule.fwmark = m.attrs.fwmark
          rule.fwmask = m.attrs.fwmask ?? 0xffffffff
        }
        if (m.attrs.src) rule.from = `${bufferToIp(m.attrs.src)}/${m.data.srcLen ?? 0}`
        if (m.attrs.dst) rule.to = `${bufferToIp(m.attrs.dst)}/${m.data.dstLen ?? 0}`
        if (m.data.tos) rule.tos = m.data.tos
        if (m.attrs.ipProto) rule.ipproto = m.attrs.ipProto
        const d = m.attrs.dportRange
        if (d && d.start !== undefined) rule.dport = { start: d.start, end: d.end ?? d.start }
        return rule
      })
  }

  private static sameRule(a: RuleSpec, b: RuleSpec): boolean {
    const mask = (r: RuleSpec) => (r.fwmark === undefined ? undefined : (r.fwmask ?? 0xffffffff))
    const from = (r: RuleSpec) => (r.from ? normaliseCidr(r.from) : undefined)
    const to = (r: RuleSpec) => (r.to ? normaliseCidr(r.to) : undefined)
    const port = (r: RuleSpec) => (r.dport ? `${r.dport.start}-${r.dport.end}` : undefined)
    return (
      a.priority === b.priority &&
      to(a) === to(b) &&
      (a.tos ?? 0) === (b.tos ?? 0) &&
      a.ipproto === b.ipproto &&
      port(a) === port(b) &&
      a.table === b.table &&
      a.fwmark === b.fwmark &&
      mask(a) === mask(b) &&
      from(a) === from(b)
    )
  }

  private ruleMessage(rule: RuleSpec): [rt.Rule, rt.RuleAttrs] {
    const from = rule.from ? splitCidr(normaliseCidr(rule.from) ?? rule.from) : undefined
    const to = rule.to ? splitCidr(normaliseCidr(rule.to) ?? rule.to) : undefined
    const family = from?.family ?? to?.family ?? rule.family ?? 4
    const { header, attr } = tableFields(rule.table)
    const data: rt.Rule = {
      family: family === 4 ? AF_INET : AF_INET6,
      srcLen: from?.length ?? 0,
      dstLen: to?.length ?? 0,
      tos: rule.tos ?? 0,
      table: header,
      action: 'toTbl',
    }
    const attrs: rt.RuleAttrs = { priority: rule.priority, table: attr }
    if (rule.fwmark !== undefined) {
      attrs.fwmark = rule.fwmark
      attrs.fwmask = rule.fwmask ?? 0xffffffff
    }
    if (from && from.length > 0) attrs.src = ipToBuffer(from.address).bytes
    if (to && to.length > 0) attrs.dst = ipToBuffer(to.address).bytes
    if (rule.ipproto !== undefined) attrs.ipProto = rule.ipproto
    if (rule.dport) attrs.dportRange = { start: rule.dport.start, end: rule.dport.end }
    return [data, attrs]
  }

  async ensureRule(rule: RuleSpec): Promise<void> {
    const cidr = rule.from ?? rule.to
    const family = cidr ? splitCidr(cidr).family : (rule.family ?? 4)
    const existing = await this.rules(family)
    if (existing.some((r) => RtNetlinkRouting.sameRule(r, rule))) return
    const [data, attrs] = this.ruleMessage(rule)
    attrs.protocol = PATRONUS_RTPROT
    try {
      await this.socket.newRule(data, attrs, this.opts(FlagsNew.CREATE | FlagsNew.EXCL))
    } catch (err) {
      if (!rejected(err, 'EEXIST'))
        throw new RoutingError(`add rule ${JSON.stringify(rule)}: ${err}`)
    }
  }

  async deleteRule(rule: RuleSpec): Promise<void> {
    const [data, attrs] = this.ruleMessage(rule)
    try {
      await this.socket.delRule(data, attrs, this.opts())
    } catch (err) {
      if (!rejected(err, 'ENOENT', 'ESRCH')) {
        throw new RoutingError(`delete rule ${JSON.stringify(rule)}: ${err}`)
      }
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.socket.socket.close()
  }
}

export function createRtNetlinkRouting(): Routing {
  return new RtNetlinkRouting()
}
