/**
 * A UDP socket pinned to one WireGuard interface (SO_BINDTODEVICE), for optimizer datagrams of
 * one (class, peer, path). Why a device and not a mark: the path monitor already decided the
 * class's path (its ClassDecision), so the datagram is sent on exactly that `wg-i-j`, with
 * WireGuard's own encryption, and no extra `ip rule` is needed. The kernel routes a
 * device-bound socket through that device even when no table has a route via it (the
 * "assume on-link" branch of ip_route_output_key), and picks the device's own address, the
 * site's overlay address, as the source.
 *
 * Sending is a synchronous, non-blocking sendto(2) (about a microsecond); a full socket buffer
 * drops the datagram and counts it rather than queueing behind real-time traffic. The port is
 * chosen by the kernel at the first send, so every socket is a distinct source to the peer
 * (the receiver tells senders apart by address:port).
 */
import {
  AF_INET,
  errnoText,
  type Libc,
  libc,
  SO_BINDTODEVICE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOL_SOCKET,
} from './libc'

export interface PathSocketStats {
  datagrams: number
  bytes: number
  /** sendto(2) refused (buffer full, device gone, no route); the datagram is lost. */
  errors: number
  lastError: number
}

export class PathSocket {
  readonly stats: PathSocketStats = { datagrams: 0, bytes: 0, errors: 0, lastError: 0 }
  readonly #c: Libc
  readonly #to: Buffer
  #fd: number

  /** A socket sending through `device` to `address:port` (IPv4). */
  constructor(
    readonly device: string,
    readonly address: string,
    readonly port: number,
    c: Libc = libc(),
  ) {
    const octets = address.split('.').map(Number)
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
      throw new Error(`path socket: ${address} is not an IPv4 address`)
    }
    // struct sockaddr_in: family (host order), port (network order), address, 8 zero bytes.
    this.#to = Buffer.alloc(16)
    this.#to.writeUInt16LE(AF_INET, 0)
    this.#to.writeUInt16BE(port, 2)
    octets.forEach((o, i) => {
      this.#to.writeUInt8(o, 4 + i)
    })
    this.#c = c
    const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
    if (fd < 0) throw new Error(`path socket: socket: ${errnoText(c.errno())}`)
    const name = Buffer.from(`${device}\0`, 'latin1')
    if (c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) < 0) {
      const err = c.errno()
      c.close(fd)
      throw new Error(`path socket: SO_BINDTODEVICE ${device}: ${errnoText(err)}`)
    }
    this.#fd = fd
  }

  send(datagram: Uint8Array): boolean {
    if (this.#fd < 0) return false
    const n = this.#c.sendto(this.#fd, datagram, datagram.length, 0, this.#to, 16)
    if (n < 0) {
      this.stats.errors++
      this.stats.lastError = this.#c.errno()
      return false
    }
    this.stats.datagrams++
    this.stats.bytes += datagram.length
    return true
  }

  close(): void {
    if (this.#fd < 0) return
    this.#c.close(this.#fd)
    this.#fd = -1
  }
}
