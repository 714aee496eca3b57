/**
 * A BFD endpoint: the sessions of one local address and one mode (single-hop or
 * multihop), sharing one transport. It runs the receive path of RFC 5880 sec. 6.8.6:
 * decode, then select the session by Your Discriminator, or by the sender's address while
 * Your Discriminator is zero, then hand the packet to the session. Every rejection is
 * counted (counters.ts) and nothing thrown here escapes into the socket's event loop.
 */
import { randomInt } from 'node:crypto'
import type { BfdClock } from './clock'
import { MULTIHOP_PORT, SINGLE_HOP_PORT } from './constants'
import { type BfdCounters, createCounters } from './counters'
import { decodeControlPacket } from './packet'
import { BfdSession, type SessionOptions, type SessionSnapshot } from './session'

export interface Remote {
  address: string
  port: number
}

/** What the endpoint needs from the network (transport.ts gives the UDP one). */
export interface BfdTransport {
  send(packet: Buffer, to: Remote): void
  onPacket(handler: (packet: Buffer, from: Remote) => void): void
  close(): Promise<void>
}

export interface EndpointOptions {
  transport: BfdTransport
  clock: BfdClock
  /** RFC 5883 multihop (destination port 4784) instead of RFC 5881 single hop (3784). */
  multihop?: boolean
  /** Destination port override (tests); defaults by mode. */
  peerPort?: number
  random?: () => number
}

export interface PeerSessionOptions extends Omit<SessionOptions, 'localDiscriminator'> {
  peerAddress: string
}

export interface EndpointSnapshot {
  counters: BfdCounters
  sessions: (SessionSnapshot & { peerAddress: string; counters: BfdCounters })[]
}

export class BfdEndpoint {
  /** Packet-level drops (before a session is known) and the totals. */
  readonly counters: BfdCounters = createCounters()
  private readonly byDiscriminator = new Map<number, BfdSession>()
  private readonly byPeer = new Map<string, BfdSession>()
  private readonly peerOf = new Map<BfdSession, string>()
  private readonly peerPort: number
  private closed = false

  constructor(private readonly options: EndpointOptions) {
    this.peerPort = options.peerPort ?? (options.multihop ? MULTIHOP_PORT : SINGLE_HOP_PORT)
    options.transport.onPacket((packet, from) => this.handle(packet, from))
  }

  /** Creates and starts a session to `peerAddress` (one per peer address here). */
  addSession(options: PeerSessionOptions): BfdSession {
    if (this.closed) throw new Error('bfd endpoint: closed')
    const { peerAddress, ...rest } = options
    if (this.byPeer.has(peerAddress)) {
      throw new Error(`bfd endpoint: a session to ${peerAddress} exists already`)
    }
    const session = new BfdSession(
      { ...rest, localDiscriminator: this.newDiscriminator() },
      {
        clock: this.options.clock,
        send: (packet) => {
          this.options.transport.send(packet, { address: peerAddress, port: this.peerPort })
          this.counters.sent++
        },
        ...(this.options.random ? { random: this.options.random } : {}),
      },
    )
    this.byDiscriminator.set(session.localDiscriminator, session)
    this.byPeer.set(peerAddress, session)
    this.peerOf.set(session, peerAddress)
    session.start()
    return session
  }

  removeSession(session: BfdSession): void {
    session.stop()
    const peer = this.peerOf.get(session)
    if (peer !== undefined) this.byPeer.delete(peer)
    this.peerOf.delete(session)
    this.byDiscriminator.delete(session.localDiscriminator)
  }

  snapshot(): EndpointSnapshot {
    return {
      counters: this.counters,
      sessions: [...this.peerOf].map(([s, peerAddress]) => ({
        ...s.snapshot(),
        peerAddress,
        counters: s.counters,
      })),
    }
  }

  /** The receive path; public so tests can feed it bytes directly. Never throws. */
  handle(packet: Buffer, from: Remote): void {
    const c = this.counters
    c.received++
    try {
      const decoded = decodeControlPacket(packet)
      if (!decoded.ok) {
        c.dropped[decoded.reason]++
        return
      }
      const p = decoded.packet
      let session: BfdSession | undefined
      if (p.yourDiscriminator !== 0) {
        // sec. 6.8.6: select the session by Your Discriminator; none found, discard.
        session = this.byDiscriminator.get(p.yourDiscriminator)
        if (!session) {
          c.dropped.noSession++
          return
        }
        // RFC 5881 sec. 3 / RFC 5883 sec. 3: a session is bound to its addresses.
        if (this.peerOf.get(session) !== from.address) {
          c.dropped.addressMismatch++
          return
        }
      } else {
        // sec. 6.8.6: Your Discriminator zero: select by the source address.
        session = this.byPeer.get(from.address)
        if (!session) {
          c.dropped.unknownPeer++
          return
        }
      }
      const reason = session.receive(p, packet)
      if (reason) c.dropped[reason]++
      else c.accepted++
    } catch {
      c.receiveErrors++
    }
  }

  /** Stops every session and closes the transport (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const s of [...this.peerOf.keys()]) this.removeSession(s)
    await this.options.transport.close()
  }

  private newDiscriminator(): number {
    for (let i = 0; i < 1000; i++) {
      const d = randomInt(1, 0xffffffff)
      if (!this.byDiscriminator.has(d)) return d
    }
    throw new Error('bfd endpoint: no free discriminator')
  }
}
