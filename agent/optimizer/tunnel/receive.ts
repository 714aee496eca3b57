/**
 * The optimizer tunnel's receive path: one UDP socket on the site's overlay address, port
 * OPTIMIZER_PORT (reached only through the WireGuard interfaces), and one OptimizerReceiver
 * per peer, known by its overlay address; rebuilt packets whose source is in that peer's
 * prefixes are written to the receive TUN, and the kernel forwards them to the LAN. Kept apart
 * from the tunnel, which owns the receive TUN and only hands datagrams over.
 */
import { createSocket, type Socket } from 'node:dgram'
import type { Clock } from '../../clock'
import type { Logger } from '../../logger'
import type { OptimizerMetrics } from '../codec/metrics'
import { OptimizerReceiver } from '../codec/receiver'
import type { TunnelDrops } from './drops'
import { ipv4Source, ipv4ToNumber, PrefixTable } from './ipv4'
import { OPTIMIZER_MAX_CLASSES, type OptimizerPeer } from './plan'
import type { TunLike } from './tun-devices'

export interface TunnelReceivePathOptions {
  clock: Clock
  log: Logger
  drops: TunnelDrops
  port: number
  /** The device rebuilt packets are written to (absent before start and after close). */
  receiveTun: () => TunLike | undefined
  /** The codec metrics for receivers created now (they may come after the tunnel). */
  metrics: () => OptimizerMetrics | undefined
  /** Gets each datagram the socket receives (the tunnel counts it, then calls accept). */
  onDatagram: (datagram: Uint8Array, address: string, port: number) => void
  warnOnce: (message: string) => void
}

export class TunnelReceivePath {
  readonly #o: TunnelReceivePathOptions
  #socket: Socket | undefined
  #boundAddress: string | undefined
  readonly #receivers = new Map<string, OptimizerReceiver>()
  readonly #sourcePrefixes = new Map<string, PrefixTable<true>>()
  #peerByOverlay = new Map<string, OptimizerPeer>()

  constructor(options: TunnelReceivePathOptions) {
    this.#o = options
  }

  /** Binds the optimizer port on `address` (again only when the address changed). */
  async bind(address: string): Promise<void> {
    const { log, port } = this.#o
    if (this.#boundAddress === address && this.#socket) return
    await this.#closeSocket()
    this.#boundAddress = undefined
    if (ipv4ToNumber(address) === undefined) {
      this.#o.warnOnce(`overlay address ${address} is not IPv4: the optimizer receives nothing`)
      return
    }
    const socket = createSocket('udp4')
    socket.on('message', (msg, rinfo) => this.#o.onDatagram(msg, rinfo.address, rinfo.port))
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject)
        socket.bind({ address, port, exclusive: true }, () => {
          socket.off('error', reject)
          resolve()
        })
      })
    } catch (error) {
      socket.close()
      log.error({ address, port, err: (error as Error).message }, 'bind optimizer port')
      return
    }
    socket.on('error', (e) => log.warn({ err: e.message }, 'optimizer socket'))
    this.#socket = socket
    this.#boundAddress = address
  }

  setPeers(peers: OptimizerPeer[]): void {
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

  /** A datagram from a peer's overlay address: decode it with that peer's receiver. */
  accept(datagram: Uint8Array, address: string, port: number): void {
    const peer = this.#peerByOverlay.get(address)
    if (!peer) {
      this.#o.drops.unknown_source++
      return
    }
    let r = this.#receivers.get(peer.siteId)
    if (!r) {
      r = this.#newReceiver(peer)
      this.#receivers.set(peer.siteId, r)
    }
    r.push(datagram, `${address}:${port}`)
  }

  /** Receivers give up expired blocks. */
  tick(): void {
    for (const r of this.#receivers.values()) r.tick()
  }

  async close(): Promise<void> {
    for (const r of this.#receivers.values()) r.close()
    this.#receivers.clear()
    await this.#closeSocket()
  }

  #newReceiver(peer: OptimizerPeer): OptimizerReceiver {
    const drops = this.#o.drops
    const metrics = this.#o.metrics()
    return new OptimizerReceiver({
      clock: this.#o.clock,
      // Each (class, path) sender of the peer is a session; room for all of them.
      maxSessions: OPTIMIZER_MAX_CLASSES * 4,
      pathLabel: `${peer.siteId}/in`,
      deliver: (ip) => {
        const src = ipv4Source(ip)
        // The plain tunnel accepts from a peer only its allowed IPs; so does this one. Looked up
        // per packet, not kept from the receiver's creation: a reconfig may change the peer's
        // prefixes while it stays connected (setPeers rebuilds the tables, the receiver stays).
        const sources = this.#sourcePrefixes.get(peer.siteId)
        if (src === undefined || !sources?.lookup(src)) {
          drops.spoofed_source++
          return
        }
        if (!this.#o.receiveTun()?.write(ip)) drops.tun_write_error++
      },
      ...(metrics ? { metrics } : {}),
    })
  }

  async #closeSocket(): Promise<void> {
    if (this.#socket) await new Promise<void>((resolve) => this.#socket?.close(() => resolve()))
    this.#socket = undefined
  }
}
