/**
 * The optimizer tunnel in the agent (issue 11): packets of policy classes that set `fec` and/or
 * `compression` are routed into a per-class TUN (tunnel-plan.ts); the agent reads them, picks
 * the peer by destination prefix and the class's current path from the path monitor's
 * decision, and hands them to an OptimizerSender per (class, peer, path), whose datagrams go
 * as UDP to the peer's overlay address, port OPTIMIZER_PORT, through that path's WireGuard
 * interface (path-socket.ts): encryption and path selection stay WireGuard's and pathmon's.
 * The peer's receive socket hands them to an OptimizerReceiver per peer, which writes the
 * rebuilt, decompressed packets to the receive TUN; the kernel forwards them to the LAN.
 *
 * Redundancy follows each path's loss as the quality probes measure it (10 s window), through
 * one RedundancyController per path (hysteresis there). Policy changes take effect on the next
 * reconfig: a class that loses both flags has its rules and routes removed (back to the plain
 * tunnel) before its TUN goes.
 *
 * Without /dev/net/tun (or koffi) the tunnel says so once and stays off: classes then use the
 * plain tunnel, unoptimized.
 */
import { createSocket, type Socket } from 'node:dgram'
import type { DesiredState } from '../../protocol/agent'
import type { Clock } from '../clock'
import { type ClassDecision, DEFAULT_CLASS_ID } from '../decision'
import { interfaceName } from '../engine/mesh-plan'
import type { Logger } from '../logger'
import { ruleKey } from '../pathmon/class-rules'
import type { Sysctl } from '../routing/sysctl'
import type { Routing, RuleSpec } from '../routing/types'
import { ipv4Destination, ipv4Source, ipv4ToNumber, PrefixTable } from './ipv4'
import type { OptimizerMetrics } from './metrics'
import { PathSocket } from './path-socket'
import { OptimizerReceiver } from './receiver'
import { RedundancyController } from './redundancy'
import { OptimizerSender } from './sender'
import { TunDevice, TunPoller, type TunStats } from './tun'
import {
  OPTIMIZER_MARK_RULE_PRIORITY,
  OPTIMIZER_MAX_CLASSES,
  OPTIMIZER_PORT,
  OPTIMIZER_RULE_PRIORITY_BASE,
  OPTIMIZER_TABLE_BASE,
  type OptimizedClass,
  type OptimizerPeer,
  planTunnel,
  type TunnelPlan,
} from './tunnel-plan'

/** What the tunnel reads from the path monitor (PathMonitor satisfies it). */
export interface PathView {
  readonly decisions: readonly ClassDecision[]
  /** Whether a path (`peer/localSlot/remoteSlot`) is up; absent = always trust the loss. */
  isUp?(pathKey: string): boolean
  readonly prober: {
    snapshot(): {
      peerSiteId: string
      localSlot: number
      remoteSlot: number
      loss: Record<'1s' | '10s' | '60s', number | null>
    }[]
  }
}

export interface OptimizerTunnelOptions {
  clock: Clock
  routing: Routing
  sysctl?: Sysctl
  paths: PathView
  interfacePrefix: string
  logger: Logger
  metrics?: OptimizerMetrics
  port?: number
  /** How often redundancy follows loss and idle senders close, ms (default 1000). */
  maintenanceMs?: number
  /** A sender unused this long is closed (its block flushed), ms (default 30 s). */
  idleMs?: number
  /** TUN devices and their read loop (default: /dev/net/tun through koffi); tests pass fakes. */
  devices?: TunDevices
  openPathSocket?: (device: string, address: string, port: number) => PathSocket
}

/** What the tunnel needs of a TUN device (TunDevice). */
export type TunLike = Pick<TunDevice, 'name' | 'onPacket' | 'write' | 'configure' | 'close'> & {
  readonly stats: TunStats
}

export interface TunDevices {
  open(name: string): TunLike
  /** Starts the read loop (called once, after the first open succeeded). */
  poller(onError: (error: Error) => void): {
    add(device: TunLike): void
    remove(device: TunLike): Promise<void>
    close(): Promise<void>
  }
}

/** The real devices: TUNs on /dev/net/tun, read by one TunPoller. */
export const kernelTunDevices: TunDevices = {
  open: (name) => TunDevice.open(name),
  poller(onError) {
    const poller = new TunPoller({ onError })
    // Only TunDevices come from open() above.
    return {
      add: (d) => poller.add(d as TunDevice),
      remove: (d) => poller.remove(d as TunDevice),
      close: () => poller.close(),
    }
  },
}

/** The probes' loss window the redundancy follows (PathQualityStats.loss['10s']). */
const LOSS_WINDOW_MS = 10_000

/** Packets the tunnel itself dropped, by reason (the codec's drops are its own metrics). */
export interface TunnelDrops {
  /** Read from a class TUN but not IPv4. */
  not_ipv4: number
  /** Destination in no peer's prefixes (a stale route). */
  no_peer: number
  /** No path was ever decided for the class nor the default class to the peer. */
  no_path: number
  /** sendto refused the datagram (buffer full, interface gone). */
  send_error: number
  /** A datagram from an address that is no peer's overlay address. */
  unknown_source: number
  /** A rebuilt packet whose source is outside the sending peer's prefixes. */
  spoofed_source: number
  /** The receive TUN refused a rebuilt packet. */
  tun_write_error: number
}

export type TunnelState = 'off' | 'running' | 'unavailable'

interface SenderEntry {
  sender: OptimizerSender
  socket: PathSocket
  pathKey: string
  classIndex: number
  lastUsed: number
}

interface ClassEntry {
  plan: OptimizedClass
  tun: TunLike
}

const emptyDrops = (): TunnelDrops => ({
  not_ipv4: 0,
  no_peer: 0,
  no_path: 0,
  send_error: 0,
  unknown_source: 0,
  spoofed_source: 0,
  tun_write_error: 0,
})

export class OptimizerTunnel {
  readonly drops: TunnelDrops = emptyDrops()
  /** Datagrams received on the optimizer port (before any check). */
  datagramsReceived = 0
  readonly #o: OptimizerTunnelOptions
  readonly #log: Logger
  readonly #port: number
  #state: TunnelState = 'off'
  #poller: ReturnType<TunDevices['poller']> | undefined
  #rx: TunLike | undefined
  #socket: Socket | undefined
  #boundAddress: string | undefined
  #plan: TunnelPlan | undefined
  readonly #classes = new Map<number, ClassEntry>()
  readonly #senders = new Map<string, SenderEntry>()
  readonly #controllers = new Map<string, RedundancyController>()
  readonly #receivers = new Map<string, OptimizerReceiver>()
  readonly #peerByDestination = new PrefixTable<OptimizerPeer>()
  readonly #sourcePrefixes = new Map<string, PrefixTable<true>>()
  #peerByOverlay = new Map<string, OptimizerPeer>()
  #routes = new Map<string, { table: number; dst: string; dev: string }>()
  #rules = new Map<string, RuleSpec>()
  #decisionsSeen: readonly ClassDecision[] | undefined
  #pathOf = new Map<string, { dev: string; key: string }>()
  readonly #lastPath = new Map<string, { dev: string; key: string }>()
  readonly #upSince = new Map<string, number>()
  #swept = false
  #closed = false
  readonly #stop = new AbortController()
  #loop: Promise<void> | undefined
  readonly #warned = new Set<string>()
  #metrics: OptimizerMetrics | undefined

  constructor(options: OptimizerTunnelOptions) {
    this.#o = options
    this.#metrics = options.metrics
    this.#log = options.logger.child({ component: 'wanopt' })
    this.#port = options.port ?? OPTIMIZER_PORT
  }

  /** Codec metrics for senders and receivers created from now on (the registry comes later). */
  useMetrics(metrics: OptimizerMetrics): void {
    this.#metrics = metrics
  }

  get state(): TunnelState {
    return this.#state
  }

  /** Classes currently optimized (their TUN is open and routed). */
  get activeClasses(): OptimizedClass[] {
    return [...this.#classes.values()].map((c) => c.plan)
  }

  get senderCount(): number {
    return this.#senders.size
  }

  /** Per-TUN counters for /metrics. */
  tunStats(): { device: string; stats: TunStats }[] {
    const out = [...this.#classes.values()].map((c) => ({ device: c.tun.name, stats: c.tun.stats }))
    if (this.#rx) out.push({ device: this.#rx.name, stats: this.#rx.stats })
    return out
  }

  async reconfig(desired: DesiredState): Promise<void> {
    if (this.#closed || this.#state === 'unavailable') return
    const plan = planTunnel(desired, { interfacePrefix: this.#o.interfacePrefix })
    for (const w of plan.warnings) this.#warnOnce(w)
    if (this.#state === 'off' && !this.#start(plan)) return
    this.#plan = plan
    await this.#sweepOnce()
    await this.#configureTun(this.#rx, plan)
    // Reverse-path filtering (strict or loose) refuses every packet arriving on a device
    // without an address (fib_validate_source): the receive TUN gets the site's overlay
    // address, as the WireGuard interfaces have.
    if (this.#rx && ipv4ToNumber(plan.overlayAddress) !== undefined) {
      await this.#o.routing.ensureAddress(this.#rx.name, `${plan.overlayAddress}/32`)
    }
    await this.#bindReceiver(plan.overlayAddress)
    this.#setPeers(plan.peers)

    const wanted = new Map(plan.classes.map((c) => [c.index, c]))
    // New classes: TUN up before any route points at it.
    for (const c of plan.classes) {
      const entry = this.#classes.get(c.index)
      if (entry && entry.plan.tun === c.tun) {
        entry.plan = c
        continue
      }
      const tun = this.#openTun(c.tun)
      if (!tun) continue
      try {
        await this.#configureTun(tun, plan)
      } catch (error) {
        // Not kept half set up: the next reconfig opens it again.
        tun.close()
        throw error
      }
      tun.onPacket = (packet) => this.#fromLan(c.index, packet)
      this.#classes.set(c.index, { plan: c, tun })
      this.#poller?.add(tun)
      this.#log.info(
        { class: c.name, tun: c.tun, fec: c.fec, compression: c.compression },
        'optimized class',
      )
    }
    for (const s of this.#senders.values()) {
      const c = wanted.get(s.classIndex)
      if (c) s.sender.setOptions({ fec: c.fec, compression: c.compression })
    }
    const routable = plan.classes.filter((c) => this.#classes.has(c.index))
    const routes = plan.routes.filter((r) => routable.some((c) => c.table === r.table))
    const rules = routable.flatMap((c) => [c.markRule, ...c.rules])
    // New routes before the rules that lead to them; removed rules before their routes.
    await this.#applyRoutes(routes, false)
    await this.#applyRules(rules)
    await this.#applyRoutes(routes, true)
    // Classes turned off: rules are gone (traffic is back on the plain tunnel); now the
    // routes (already pruned) and the TUN.
    for (const [k, entry] of this.#classes) {
      if (wanted.has(k)) continue
      await this.#closeClass(k, entry)
      this.#log.info(
        { class: entry.plan.name, tun: entry.plan.tun },
        'class back on the plain tunnel',
      )
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stop.abort()
    const errors: string[] = []
    await this.#applyRules([]).catch((e: Error) => errors.push(`rules: ${e.message}`))
    await this.#applyRoutes([], true).catch((e: Error) => errors.push(`routes: ${e.message}`))
    for (const [k, entry] of this.#classes) await this.#closeClass(k, entry)
    await this.#loop
    for (const r of this.#receivers.values()) r.close()
    this.#receivers.clear()
    if (this.#socket) await new Promise<void>((resolve) => this.#socket?.close(() => resolve()))
    this.#socket = undefined
    await this.#poller?.close()
    this.#rx?.close()
    this.#rx = undefined
    if (this.#state === 'running') this.#state = 'off'
    if (errors.length) throw new Error(`optimizer tunnel close: ${errors.join('; ')}`)
  }

  /** Opens the poller and the receive TUN; false (logged once) when TUN is unavailable. */
  #start(plan: TunnelPlan): boolean {
    let rx: TunLike
    const devices = this.#o.devices ?? kernelTunDevices
    try {
      rx = devices.open(plan.receiveTun)
      this.#poller = devices.poller((e) => this.#log.error({ err: e.message }, 'TUN read loop'))
    } catch (error) {
      this.#state = 'unavailable'
      this.#log.warn(
        { reason: (error as Error).message },
        'WAN optimizer unavailable (no TUN): fec/compression classes use the plain tunnel',
      )
      return false
    }
    this.#rx = rx
    // Nothing is routed into the receive TUN; reading it only drains what the kernel might
    // queue there (e.g. IPv6 router solicitations), counted and discarded.
    rx.onPacket = () => {}
    this.#poller.add(rx)
    this.#state = 'running'
    this.#loop = this.#maintain()
    this.#log.info({ tun: plan.receiveTun, port: this.#port }, 'WAN optimizer tunnel started')
    return true
  }

  #openTun(name: string): TunLike | undefined {
    try {
      return (this.#o.devices ?? kernelTunDevices).open(name)
    } catch (error) {
      this.#log.error({ tun: name, err: (error as Error).message }, 'open class TUN')
      return undefined
    }
  }

  async #configureTun(tun: TunLike | undefined, plan: TunnelPlan): Promise<void> {
    if (!tun) return
    await tun.configure(this.#o.routing, { mtu: plan.tunMtu })
    // Rebuilt packets arrive on the receive TUN from the peer's LAN addresses, which are routed
    // via the tunnels: strict reverse-path filtering would drop them (lab.md, rp_filter).
    await this.#o.sysctl
      ?.write(`net/ipv4/conf/${tun.name}/rp_filter`, '2')
      .catch((e: Error) => this.#warnOnce(`rp_filter on ${tun.name}: ${e.message}`))
    // IPv4 only: without IPv6 the kernel sends no router solicitations into the TUNs.
    await this.#o.sysctl
      ?.write(`net/ipv6/conf/${tun.name}/disable_ipv6`, '1')
      .catch((e: Error) => this.#warnOnce(`disable_ipv6 on ${tun.name}: ${e.message}`))
  }

  async #closeClass(k: number, entry: ClassEntry): Promise<void> {
    for (const [key, s] of this.#senders) {
      if (s.classIndex !== k) continue
      s.sender.close()
      s.socket.close()
      this.#senders.delete(key)
    }
    entry.tun.onPacket = undefined
    await this.#poller?.remove(entry.tun)
    entry.tun.close()
    this.#classes.delete(k)
  }

  async #bindReceiver(address: string): Promise<void> {
    if (this.#boundAddress === address && this.#socket) return
    if (this.#socket) await new Promise<void>((resolve) => this.#socket?.close(() => resolve()))
    this.#socket = undefined
    this.#boundAddress = undefined
    if (ipv4ToNumber(address) === undefined) {
      this.#warnOnce(`overlay address ${address} is not IPv4: the optimizer receives nothing`)
      return
    }
    const socket = createSocket('udp4')
    socket.on('message', (msg, rinfo) => this.acceptDatagram(msg, rinfo.address, rinfo.port))
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject)
        socket.bind({ address, port: this.#port, exclusive: true }, () => {
          socket.off('error', reject)
          resolve()
        })
      })
    } catch (error) {
      socket.close()
      this.#log.error(
        { address, port: this.#port, err: (error as Error).message },
        'bind optimizer port',
      )
      return
    }
    socket.on('error', (e) => this.#log.warn({ err: e.message }, 'optimizer socket'))
    this.#socket = socket
    this.#boundAddress = address
  }

  #setPeers(peers: OptimizerPeer[]): void {
    this.#peerByDestination.set(
      peers.flatMap((p) => p.prefixes.map((cidr) => ({ cidr, value: p }))),
    )
    this.#peerByOverlay = new Map(peers.map((p) => [p.overlayAddress, p]))
    this.#sourcePrefixes.clear()
    for (const p of peers) {
      const t = new PrefixTable<true>()
      t.set(p.prefixes.map((cidr) => ({ cidr, value: true as const })))
      this.#sourcePrefixes.set(p.siteId, t)
    }
    // Receivers of peers that left go with them.
    for (const [siteId, r] of this.#receivers) {
      if (peers.some((p) => p.siteId === siteId)) continue
      r.close()
      this.#receivers.delete(siteId)
    }
  }

  /** A packet of class k from the LAN (read from its TUN): encode and send to its peer. */
  #fromLan(k: number, packet: Uint8Array): void {
    const dst = ipv4Destination(packet)
    if (dst === undefined) {
      this.drops.not_ipv4++
      return
    }
    const peer = this.#peerByDestination.lookup(dst)
    if (!peer) {
      this.drops.no_peer++
      return
    }
    const entry = this.#classes.get(k)
    if (!entry) return
    const path = this.#pathFor(entry.plan.classId, peer.siteId)
    if (!path) {
      this.drops.no_path++
      return
    }
    const key = `${k}|${peer.siteId}|${path.dev}`
    let s = this.#senders.get(key)
    if (!s) {
      const created = this.#newSender(entry.plan, peer, path)
      if (!created) {
        this.drops.send_error++
        return
      }
      s = created
      this.#senders.set(key, s)
    }
    s.lastUsed = this.#o.clock.now()
    s.sender.push(packet)
  }

  #newSender(
    c: OptimizedClass,
    peer: OptimizerPeer,
    path: { dev: string; key: string },
  ): SenderEntry | undefined {
    let socket: PathSocket
    try {
      socket = (this.#o.openPathSocket ?? ((d, a, p) => new PathSocket(d, a, p)))(
        path.dev,
        peer.overlayAddress,
        this.#port,
      )
    } catch (error) {
      this.#warnOnce(`path socket ${path.dev}: ${(error as Error).message}`)
      return undefined
    }
    const drops = this.drops
    const sender = new OptimizerSender({
      clock: this.#o.clock,
      send: (d) => {
        if (!socket.send(d)) drops.send_error++
      },
      fec: c.fec,
      compression: c.compression,
      pathLabel: path.key,
      ...(this.#metrics ? { metrics: this.#metrics } : {}),
    })
    sender.setRedundancy(this.#controller(path.key, sender.k).m)
    return { sender, socket, pathKey: path.key, classIndex: c.index, lastUsed: 0 }
  }

  #controller(pathKey: string, k: number): RedundancyController {
    let c = this.#controllers.get(pathKey)
    if (!c) {
      c = new RedundancyController({ k, clock: this.#o.clock })
      // Start from the loss known now, so the first block is already protected.
      const loss = this.#lossOf(pathKey)
      if (loss !== undefined) c.update(loss)
      this.#controllers.set(pathKey, c)
    }
    return c
  }

  /**
   * The path's probe loss, or undefined while it cannot be trusted: a path that is down, or
   * up for less than the loss window, still has in its window the probes lost before it came
   * up (at start, after an outage), which are not the loss its packets meet now.
   */
  #lossOf(pathKey: string): number | undefined {
    const isUp = this.#o.paths.isUp
    if (isUp) {
      const now = this.#o.clock.now()
      if (!isUp.call(this.#o.paths, pathKey)) {
        this.#upSince.delete(pathKey)
        return undefined
      }
      const since = this.#upSince.get(pathKey) ?? now
      this.#upSince.set(pathKey, since)
      if (now - since < LOSS_WINDOW_MS) return undefined
    }
    for (const q of this.#o.paths.prober.snapshot()) {
      if (`${q.peerSiteId}/${q.localSlot}/${q.remoteSlot}` !== pathKey) continue
      return q.loss['10s'] ?? q.loss['1s'] ?? undefined
    }
    return undefined
  }

  /** The class's current path to the peer, else the default class's, else the last one used. */
  #pathFor(classId: string, peerSiteId: string): { dev: string; key: string } | undefined {
    const decisions = this.#o.paths.decisions
    if (decisions !== this.#decisionsSeen) {
      this.#decisionsSeen = decisions
      this.#pathOf = new Map()
      for (const d of decisions) {
        if (!d.path) continue
        this.#pathOf.set(`${d.classId}|${d.peerSiteId}`, {
          dev: interfaceName(this.#o.interfacePrefix, d.path.localSlot, d.path.remoteSlot),
          key: `${d.peerSiteId}/${d.path.localSlot}/${d.path.remoteSlot}`,
        })
      }
    }
    const key = `${classId}|${peerSiteId}`
    const path = this.#pathOf.get(key) ?? this.#pathOf.get(`${DEFAULT_CLASS_ID}|${peerSiteId}`)
    if (path) {
      this.#lastPath.set(key, path)
      return path
    }
    // No path is up (e.g. BFD timed out under loss): the kernel keeps the class's last route
    // meanwhile, so the plain tunnel keeps sending; the optimizer keeps its last path too.
    return this.#lastPath.get(key)
  }

  /** A datagram on the optimizer port: decode it; rebuilt packets go to the receive TUN. */
  acceptDatagram(datagram: Uint8Array, address: string, port: number): void {
    this.datagramsReceived++
    const peer = this.#peerByOverlay.get(address)
    if (!peer) {
      this.drops.unknown_source++
      return
    }
    let r = this.#receivers.get(peer.siteId)
    if (!r) {
      const sources = this.#sourcePrefixes.get(peer.siteId)
      const drops = this.drops
      r = new OptimizerReceiver({
        clock: this.#o.clock,
        // Each (class, path) sender of the peer is a session; room for all of them.
        maxSessions: OPTIMIZER_MAX_CLASSES * 4,
        pathLabel: `${peer.siteId}/in`,
        deliver: (ip) => {
          const src = ipv4Source(ip)
          // The plain tunnel accepts from a peer only its allowed IPs; so does this one.
          if (src === undefined || !sources?.lookup(src)) {
            drops.spoofed_source++
            return
          }
          if (!this.#rx?.write(ip)) drops.tun_write_error++
        },
        ...(this.#metrics ? { metrics: this.#metrics } : {}),
      })
      this.#receivers.set(peer.siteId, r)
    }
    r.push(datagram, `${address}:${port}`)
  }

  /** Adds or replaces the wanted routes; with `prune`, also deletes the others. */
  async #applyRoutes(
    wanted: { table: number; dst: string; dev: string }[],
    prune: boolean,
  ): Promise<void> {
    const key = (r: { table: number; dst: string }) => `${r.table} ${r.dst}`
    const next = new Map(wanted.map((r) => [key(r), r]))
    for (const [k, r] of next) {
      if (this.#routes.get(k)?.dev === r.dev) continue
      await this.#o.routing.replaceRoute(r)
      this.#routes.set(k, r)
    }
    if (!prune) return
    for (const [k, r] of this.#routes) {
      if (next.has(k)) continue
      await this.#o.routing.deleteRoute(r)
      this.#routes.delete(k)
    }
  }

  async #applyRules(wanted: RuleSpec[]): Promise<void> {
    const next = new Map(wanted.map((r) => [`${ruleKey(r)} ${r.fwmark ?? ''}`, r]))
    for (const [k, r] of next) {
      if (this.#rules.has(k)) continue
      await this.#o.routing.ensureRule(r)
      this.#rules.set(k, r)
    }
    for (const [k, r] of this.#rules) {
      if (next.has(k)) continue
      await this.#o.routing.deleteRule(r)
      this.#rules.delete(k)
    }
  }

  /** A crashed predecessor may have left rules and routes (its TUNs died with it). */
  async #sweepOnce(): Promise<void> {
    if (this.#swept) return
    this.#swept = true
    const { routing } = this.#o
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

  /** Redundancy follows loss; idle senders close; receivers give up expired blocks. */
  async #maintain(): Promise<void> {
    const signal = this.#stop.signal
    const every = this.#o.maintenanceMs ?? 1000
    const idleMs = this.#o.idleMs ?? 30_000
    while (!signal.aborted) {
      await this.#o.clock.sleep(every, signal)
      if (signal.aborted) break
      try {
        const now = this.#o.clock.now()
        for (const [pathKey, c] of this.#controllers) {
          const loss = this.#lossOf(pathKey)
          if (loss !== undefined) c.update(loss)
        }
        for (const [key, s] of this.#senders) {
          if (now - s.lastUsed > idleMs) {
            s.sender.close()
            s.socket.close()
            this.#senders.delete(key)
            continue
          }
          const c = this.#controllers.get(s.pathKey)
          if (c) s.sender.setRedundancy(c.m)
        }
        for (const r of this.#receivers.values()) r.tick()
      } catch (error) {
        this.#log.error({ err: (error as Error).message }, 'optimizer maintenance')
      }
    }
    for (const s of this.#senders.values()) {
      s.sender.close()
      s.socket.close()
    }
    this.#senders.clear()
  }

  #warnOnce(message: string): void {
    if (this.#warned.has(message)) return
    this.#warned.add(message)
    this.#log.warn({}, message)
  }
}
