import type { Clock } from '../../clock'
import type { Logger } from '../../logger'
import type { Sysctl } from '../../routing/sysctl'
import type { Routing } from '../../routing/types'
import type { OptimizerMetrics } from '../codec/metrics'
import { emptyTunnelDrops, type TunnelDrops } from './drops'
import { ipv4ToNumber } from './ipv4'
import type { PathSocket } from './path-socket'
import { PathTracker, type PathView } from './paths'
import { OPTIMIZER_PORT, type OptimizedClass, type TunnelPlan } from './plan'
import { TunnelReceivePath } from './receive'
import { TunnelRoutes } from './routes'
import { TunnelSendPath } from './send'
import type { TunStats } from './tun'
import { kernelTunDevices, type TunDevices, type TunLike } from './tun-devices'

export type { TunnelDrops } from './drops'
export type { PathView } from './paths'
// The types the tunnel's users and tests have always imported from here.
export { kernelTunDevices, type TunDevices, type TunLike } from './tun-devices'

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

export type TunnelState = 'off' | 'running' | 'unavailable'

interface ClassEntry {
  plan: OptimizedClass
  tun: TunLike
}

export class OptimizerTunnel {
  readonly drops: TunnelDrops = emptyTunnelDrops()
  /** Datagrams received on the optimizer port (before any check). */
  datagramsReceived = 0
  readonly #o: OptimizerTunnelOptions
  readonly #log: Logger
  readonly #port: number
  #state: TunnelState = 'off'
  #poller: ReturnType<TunDevices['poller']> | undefined
  #rx: TunLike | undefined
  readonly #classes = new Map<number, ClassEntry>()
  readonly #send: TunnelSendPath
  readonly #receive: TunnelReceivePath
  readonly #routes: TunnelRoutes
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
    const shared = {
      clock: options.clock,
      drops: this.drops,
      port: this.#port,
      metrics: () => this.#metrics,
      warnOnce: (message: string) => this.#warnOnce(message),
    }
    this.#send = new TunnelSendPath({
      ...shared,
      paths: new PathTracker(options.paths, options.clock, options.interfacePrefix),
      classOf: (k) => this.#classes.get(k)?.plan,
      openPathSocket: options.openPathSocket,
    })
    this.#receive = new TunnelReceivePath({
      ...shared,
      log: this.#log,
      receiveTun: () => this.#rx,
      onDatagram: (datagram, address, port) => this.acceptDatagram(datagram, address, port),
    })
    this.#routes = new TunnelRoutes(options.routing)
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
    return this.#send.senderCount
  }

  /** Per-TUN counters for /metrics. */
  tunStats(): { device: string; stats: TunStats }[] {
    const out = [...this.#classes.values()].map((c) => ({ device: c.tun.name, stats: c.tun.stats }))
    if (this.#rx) out.push({ device: this.#rx.name, stats: this.#rx.stats })
    return out
  }

  /** Applies the plan's optimizer part (planTunnel, computed once in the site plan). */
  async reconfig(plan: TunnelPlan): Promise<void> {
    if (this.#closed || this.#state === 'unavailable') return
    for (const w of plan.warnings) this.#warnOnce(w)
    if (this.#state === 'off' && !this.#start(plan)) return
    await this.#routes.sweepOnce()
    await this.#configureTun(this.#rx, plan)
    // Reverse-path filtering (strict or loose) refuses every packet arriving on a device
    // without an address (fib_validate_source): the receive TUN gets the site's overlay
    // address, as the WireGuard interfaces have.
    if (this.#rx && ipv4ToNumber(plan.overlayAddress) !== undefined) {
      await this.#o.routing.ensureAddress(this.#rx.name, `${plan.overlayAddress}/32`)
    }
    await this.#receive.bind(plan.overlayAddress)
    this.#send.setPeers(plan.peers)
    this.#receive.setPeers(plan.peers)

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
      tun.onPacket = (packet) => this.#send.fromLan(c.index, packet)
      this.#classes.set(c.index, { plan: c, tun })
      this.#poller?.add(tun)
      this.#log.info(
        { class: c.name, tun: c.tun, fec: c.fec, compression: c.compression },
        'optimized class',
      )
    }
    this.#send.setOptions(wanted)
    const routable = plan.classes.filter((c) => this.#classes.has(c.index))
    const routes = plan.routes.filter((r) => routable.some((c) => c.table === r.table))
    const rules = routable.flatMap((c) => [c.markRule, ...c.rules])
    // New routes before the rules that lead to them; removed rules before their routes.
    await this.#routes.applyRoutes(routes, false)
    await this.#routes.applyRules(rules)
    await this.#routes.applyRoutes(routes, true)
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
    await this.#routes.applyRules([]).catch((e: Error) => errors.push(`rules: ${e.message}`))
    await this.#routes
      .applyRoutes([], true)
      .catch((e: Error) => errors.push(`routes: ${e.message}`))
    for (const [k, entry] of this.#classes) await this.#closeClass(k, entry)
    await this.#loop
    await this.#receive.close()
    await this.#poller?.close()
    this.#rx?.close()
    this.#rx = undefined
    if (this.#state === 'running') this.#state = 'off'
    if (errors.length) throw new Error(`optimizer tunnel close: ${errors.join('; ')}`)
  }

  /** A datagram on the optimizer port: decode it; rebuilt packets go to the receive TUN. */
  acceptDatagram(datagram: Uint8Array, address: string, port: number): void {
    this.datagramsReceived++
    this.#receive.accept(datagram, address, port)
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
    // via the tunnels: strict reverse-path filtering would drop them (docs/lab.md, rp_filter).
    await this.#o.sysctl
      ?.write(`net/ipv4/conf/${tun.name}/rp_filter`, '2')
      .catch((e: Error) => this.#warnOnce(`rp_filter on ${tun.name}: ${e.message}`))
    // IPv4 only: without IPv6 the kernel sends no router solicitations into the TUNs.
    await this.#o.sysctl
      ?.write(`net/ipv6/conf/${tun.name}/disable_ipv6`, '1')
      .catch((e: Error) => this.#warnOnce(`disable_ipv6 on ${tun.name}: ${e.message}`))
  }

  async #closeClass(k: number, entry: ClassEntry): Promise<void> {
    this.#send.closeClass(k)
    entry.tun.onPacket = undefined
    await this.#poller?.remove(entry.tun)
    entry.tun.close()
    this.#classes.delete(k)
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
        this.#send.maintain(this.#o.clock.now(), idleMs)
        this.#receive.tick()
      } catch (error) {
        this.#log.error({ err: (error as Error).message }, 'optimizer maintenance')
      }
    }
    this.#send.close()
  }

  #warnOnce(message: string): void {
    if (this.#warned.has(message)) return
    this.#warned.add(message)
    this.#log.warn({}, message)
  }
}
