/**
 * The quality probe responder: answers authenticated echo requests on every local uplink
 * address, on one configured port. The key is chosen by the sender's address (which site
 * that uplink address belongs to, from the desired state), never by anything in the packet;
 * requests are checked against a per-session replay window before they are answered, so a
 * captured request cannot be replayed to forge a measurement.
 */
import type { Clock } from '../../clock'
import { type DropCounts, emptyDrops } from './drops'
import { ReplayGuard } from './replay'
import type { ProbeSocket, ProbeSocketFactory, Remote } from './socket'
import { type DropReason, decodeProbe, encodeProbe, precheckProbe, toMicros } from './wire'

/** Default responder port. Not IANA-assigned: set it per deployment if it collides. */
export const QUALITY_PROBE_PORT = 4799

export interface ResponderListen {
  address: string
  port: number
  /** The slot of the uplink this address belongs to. */
  slot: number
}

export interface QualityResponderOptions {
  clock: Clock
  sockets: ProbeSocketFactory
  /** The site-pair key for requests from this sender, or undefined for unknown senders. */
  keyFor(from: Remote): Uint8Array | undefined
  maxSessions?: number
  onError?: (error: Error) => void
}

export class QualityResponder {
  readonly #o: QualityResponderOptions
  readonly #sockets = new Map<string, { listen: ResponderListen; socket: ProbeSocket }>()
  readonly #replay: ReplayGuard
  readonly #drops = emptyDrops()
  #answered = 0

  constructor(options: QualityResponderOptions) {
    this.#o = options
    this.#replay = new ReplayGuard(options.maxSessions)
  }

  get drops(): Readonly<DropCounts> {
    return this.#drops
  }

  get answered(): number {
    return this.#answered
  }

  /** Listens on exactly these addresses (idempotent); bind failures go to onError. */
  async reconfig(listen: readonly ResponderListen[]): Promise<void> {
    const id = (l: ResponderListen) => `${l.address}|${l.port}|${l.slot}`
    const wanted = new Map(listen.map((l) => [id(l), l]))
    for (const [key, { socket }] of this.#sockets) {
      if (!wanted.has(key)) {
        this.#sockets.delete(key)
        await socket.close()
      }
    }
    for (const [key, l] of wanted) {
      if (this.#sockets.has(key)) continue
      try {
        const socket = await this.#o.sockets.bind({
          address: l.address,
          port: l.port,
          onMessage: (bytes, from) => this.#onMessage(l, bytes, from),
          onError: (error) => this.#o.onError?.(error),
        })
        this.#sockets.set(key, { listen: l, socket })
      } catch (error) {
        this.#o.onError?.(error as Error)
      }
    }
  }

  /** The bound address of each listener (port 0 resolves to the real port). */
  get listening(): Remote[] {
    return [...this.#sockets.values()].map((s) => s.socket.local)
  }

  async stop(): Promise<void> {
    const all = [...this.#sockets.values()]
    this.#sockets.clear()
    await Promise.all(all.map((s) => s.socket.close()))
  }

  #onMessage(l: ResponderListen, bytes: Uint8Array, from: Remote): void {
    const reason = this.#handle(l, bytes, from)
    if (reason) this.#drops[reason]++
  }

  #handle(l: ResponderListen, bytes: Uint8Array, from: Remote): DropReason | null {
    const pre = precheckProbe(bytes)
    if (!pre.ok) return pre.reason
    if (pre.type !== 'request') return 'unexpected'
    const key = this.#o.keyFor(from)
    const decoded = decodeProbe(bytes, key)
    if (!decoded.ok) return decoded.reason
    const p = decoded.packet
    if (p.receiverSlot !== l.slot) return 'unexpected'
    if (!this.#replay.accept(`${from.address}|${from.port}|${p.session}`, p.sequence)) {
      return 'replay'
    }
    const reply = encodeProbe(
      {
        type: 'reply',
        senderSlot: l.slot,
        receiverSlot: p.senderSlot,
        session: p.session,
        sequence: p.sequence,
        t1: p.t1,
        t2: toMicros(this.#o.clock.now()),
      },
      key!,
    )
    const socket = this.#sockets.get(`${l.address}|${l.port}|${l.slot}`)?.socket
    socket?.send(reply, from)
    this.#answered++
    return null
  }
}
