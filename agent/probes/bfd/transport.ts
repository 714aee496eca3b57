/**
 * BFD over UDP with node:dgram: RFC 5881 single hop (to port 3784) and RFC 5883 multihop
 * (to port 4784). One transport per local uplink address: a receive socket bound to that
 * address and the BFD port, and a send socket bound to the same address and one source
 * port from 49152-65535 (RFC 5881 sec. 4: the same source port for all packets of a
 * session), sending with TTL 255.
 *
 * GTSM (RFC 5881 sec. 5, RFC 5082): a single-hop receiver should drop packets whose TTL is
 * not 255, proving the sender is on the link. node:dgram cannot read a received packet's
 * TTL (no IP_RECVTTL / recvmsg ancillary data), so that check is not possible here. What
 * we do instead: send with TTL 255 so peers that check (BIRD does) accept us; bind to the
 * uplink address, not the wildcard; accept a packet only from the peer address its session
 * was configured with (endpoint.ts); and authenticate every session with the per-site-pair
 * keyed SHA1 key (agent/probes/keys.ts), which an off-link attacker does not have. Where
 * the TTL check is wanted too, an nftables rule can enforce it in front of the socket
 * (`udp dport 3784 ip ttl != 255 drop`).
 */
import { createSocket, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { MULTIHOP_PORT, SINGLE_HOP_PORT, SOURCE_PORT_MAX, SOURCE_PORT_MIN } from './constants'
import type { BfdTransport, Remote } from './endpoint'

export interface UdpTransportOptions {
  /** The local uplink address to bind (never the wildcard). */
  localAddress: string
  multihop?: boolean
  /** Receive port override (tests); defaults to 3784 or 4784 by mode. */
  listenPort?: number
  /** Called for socket errors after start; they never throw. */
  onError?: (err: Error) => void
  random?: () => number
}

export interface UdpTransport extends BfdTransport {
  readonly listenPort: number
  readonly sourcePort: number
}

function bind(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    socket.once('error', onError)
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError)
      resolve()
    })
  })
}

export async function openUdpTransport(options: UdpTransportOptions): Promise<UdpTransport> {
  const type = isIPv6(options.localAddress) ? 'udp6' : 'udp4'
  const listenPort = options.listenPort ?? (options.multihop ? MULTIHOP_PORT : SINGLE_HOP_PORT)
  const random = options.random ?? Math.random
  const onError = options.onError ?? (() => {})
  const rx = createSocket({ type, reuseAddr: false })
  let tx: Socket | undefined
  try {
    await bind(rx, options.localAddress, listenPort)
    let sourcePort = 0
    for (let attempt = 0; attempt < 32 && !tx; attempt++) {
      const port = SOURCE_PORT_MIN + Math.floor(random() * (SOURCE_PORT_MAX - SOURCE_PORT_MIN + 1))
      const s = createSocket({ type, reuseAddr: false })
      try {
        await bind(s, options.localAddress, port)
        tx = s
        sourcePort = port
      } catch (err) {
        s.close()
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
      }
    }
    if (!tx) throw new Error('no free source port in 49152-65535')
    // RFC 5881 sec. 5 / RFC 5883 sec. 2: TTL 255 (multihop may use less; 255 is allowed).
    tx.setTTL(255)
    const sender = tx
    rx.on('error', onError)
    sender.on('error', onError)
    // Nothing should arrive on the source port; drain it so the socket never backs up.
    sender.on('message', () => {})
    let closed = false
    return {
      listenPort,
      sourcePort,
      send(packet: Buffer, to: Remote) {
        if (closed) return
        sender.send(packet, to.port, to.address, (err) => {
          if (err) onError(err)
        })
      },
      onPacket(handler) {
        rx.on('message', (msg, rinfo) => handler(msg, { address: rinfo.address, port: rinfo.port }))
      },
      close() {
        if (closed) return Promise.resolve()
        closed = true
        return Promise.all([
          new Promise<void>((r) => rx.close(() => r())),
          new Promise<void>((r) => sender.close(() => r())),
        ]).then(() => {})
      },
    }
  } catch (err) {
    for (const s of [rx, tx]) {
      try {
        s?.close()
      } catch {
        // never bound: nothing to close
      }
    }
    throw new Error(
      `bfd transport on ${options.localAddress}:${listenPort}: ${(err as Error).message}`,
      { cause: err },
    )
  }
}
