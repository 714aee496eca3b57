/**
 * The optimizer tunnel's send path: a packet read from a class's TUN goes to the peer owning
 * its destination, over the class's current path (paths.ts), through one
 * OptimizerSender per (class, peer, path) whose datagrams leave by that path's WireGuard
 * interface (path-socket.ts). Redundancy follows each path's loss through one
 * RedundancyController per path (hysteresis there); a sender unused for a while is closed.
 * Kept apart from the tunnel, which only opens and closes the classes and runs the timer.
 */
import type { Clock } from '../../clock'
import type { OptimizerMetrics } from '../codec/metrics'
import { RedundancyController } from '../codec/redundancy'
import { OptimizerSender } from '../codec/sender'
import type { TunnelDrops } from './drops'
import { ipv4Destination, PrefixTable } from './ipv4'
import { PathSocket } from './path-socket'
import type { PathTracker, TunnelPath } from './paths'
import type { OptimizedClass, OptimizerPeer } from './plan'

export interface TunnelSendPathOptions {
  clock: Clock
  paths: PathTracker
  drops: TunnelDrops
  port: number
  /** The optimized class of index k, if it is open. */
  classOf: (k: number) => OptimizedClass | undefined
  /** The codec metrics for senders created now (they may come after the tunnel). */
  metrics: () => OptimizerMetrics | undefined
  warnOnce: (message: string) => void
  openPathSocket?: (device: string, address: string, port: number) => PathSocket
}

interface SenderEntry {
  sender: OptimizerSender
  socket: PathSocket
  pathKey: string
  classIndex: number
  lastUsed: number
}

export class TunnelSendPath {
  readonly #o: TunnelSendPathOptions
  readonly #senders = new Map<string, SenderEntry>()
  readonly #controllers = new Map<string, RedundancyController>()
  readonly #peerByDestination = new PrefixTable<OptimizerPeer>()

  constructor(options: TunnelSendPathOptions) {
    this.#o = options
  }

  get senderCount(): number {
    return this.#senders.size
  }

  setPeers(peers: OptimizerPeer[]): void {
    this.#peerByDestination.set(
      peers.flatMap((p) => p.prefixes.map((cidr) => ({ cidr, value: p }))),
    )
  }

  /** A packet of class k from the LAN (read from its TUN): encode and send to its peer. */
  fromLan(k: number, packet: Uint8Array): void {
    const drops = this.#o.drops
    const dst = ipv4Destination(packet)
    if (dst === undefined) {
      drops.not_ipv4++
      return
    }
    const peer = this.#peerByDestination.lookup(dst)
    if (!peer) {
      drops.no_peer++
      return
    }
    const c = this.#o.classOf(k)
    if (!c) return
    const path = this.#o.paths.pathFor(c.classId, peer.siteId)
    if (!path) {
      drops.no_path++
      return
    }
    const key = `${k}|${peer.siteId}|${path.dev}`
    let s = this.#senders.get(key)
    if (!s) {
      const created = this.#newSender(c, peer, path)
      if (!created) {
        drops.send_error++
        return
      }
      s = created
      this.#senders.set(key, s)
    }
    s.lastUsed = this.#o.clock.now()
    s.sender.push(packet)
  }

  /** The classes' fec and compression flags, to their open senders. */
  setOptions(classes: ReadonlyMap<number, OptimizedClass>): void {
    for (const s of this.#senders.values()) {
      const c = classes.get(s.classIndex)
      if (c) s.sender.setOptions({ fec: c.fec, compression: c.compression })
    }
  }

  /** Closes the senders of class k (their protection owed goes out first). */
  closeClass(k: number): void {
    for (const [key, s] of this.#senders) {
      if (s.classIndex !== k) continue
      closeSender(s)
      this.#senders.delete(key)
    }
  }

  /** Redundancy follows each path's loss; senders idle for `idleMs` close. */
  maintain(now: number, idleMs: number): void {
    for (const [pathKey, c] of this.#controllers) {
      const loss = this.#o.paths.lossOf(pathKey)
      if (loss !== undefined) c.update(loss)
    }
    for (const [key, s] of this.#senders) {
      if (now - s.lastUsed > idleMs) {
        closeSender(s)
        this.#senders.delete(key)
        continue
      }
      const c = this.#controllers.get(s.pathKey)
      if (c) s.sender.setRedundancy(c.m)
    }
  }

  close(): void {
    for (const s of this.#senders.values()) closeSender(s)
    this.#senders.clear()
  }

  #newSender(c: OptimizedClass, peer: OptimizerPeer, path: TunnelPath): SenderEntry | undefined {
    let socket: PathSocket
    try {
      socket = (this.#o.openPathSocket ?? ((d, a, p) => new PathSocket(d, a, p)))(
        path.dev,
        peer.overlayAddress,
        this.#o.port,
      )
    } catch (error) {
      this.#o.warnOnce(`path socket ${path.dev}: ${(error as Error).message}`)
      return undefined
    }
    const drops = this.#o.drops
    const metrics = this.#o.metrics()
    const sender = new OptimizerSender({
      clock: this.#o.clock,
      send: (d) => {
        if (!socket.send(d)) drops.send_error++
      },
      fec: c.fec,
      compression: c.compression,
      pathLabel: path.key,
      ...(metrics ? { metrics } : {}),
    })
    sender.setRedundancy(this.#controller(path.key, sender.k).m)
    return { sender, socket, pathKey: path.key, classIndex: c.index, lastUsed: 0 }
  }

  #controller(pathKey: string, k: number): RedundancyController {
    let c = this.#controllers.get(pathKey)
    if (!c) {
      c = new RedundancyController({ k, clock: this.#o.clock })
      // Start from the loss known now, so the first block is already protected.
      const loss = this.#o.paths.lossOf(pathKey)
      if (loss !== undefined) c.update(loss)
      this.#controllers.set(pathKey, c)
    }
    return c
  }
}

function closeSender(s: SenderEntry): void {
  s.sender.close()
  s.socket.close()
}
