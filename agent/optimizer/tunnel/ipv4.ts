/**
 * The little IPv4 the tunnel needs per packet, without allocating: the destination of a packet
 * read from a class TUN (which peer it is for) and the source of a packet a peer sent (it must
 * be one of that peer's prefixes, as WireGuard's allowed IPs would require of the plain tunnel).
 * Longest prefix wins; the table is a short array (a site's peers' prefixes).
 */

/** The 32-bit address as an unsigned number; undefined if not dotted IPv4. */
export function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const v = Number(p)
    if (v > 255) return undefined
    n = n * 256 + v
  }
  return n
}

interface Entry<T> {
  net: number
  mask: number
  length: number
  value: T
}

export class PrefixTable<T> {
  #entries: Entry<T>[] = []

  /** Replaces the table; CIDRs that are not IPv4 are skipped. */
  set(prefixes: { cidr: string; value: T }[]): void {
    const entries: Entry<T>[] = []
    for (const { cidr, value } of prefixes) {
      const [address, lengthText] = cidr.split('/')
      const base = ipv4ToNumber(address ?? '')
      const length = Number(lengthText ?? '32')
      if (base === undefined || !Number.isInteger(length) || length < 0 || length > 32) continue
      const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0
      entries.push({ net: (base & mask) >>> 0, mask, length, value })
    }
    // Longest first, so the first hit is the longest match.
    this.#entries = entries.sort((a, b) => b.length - a.length)
  }

  lookup(address: number): T | undefined {
    for (const e of this.#entries) if ((address & e.mask) >>> 0 === e.net) return e.value
    return undefined
  }

  get size(): number {
    return this.#entries.length
  }
}

/** IPv4 header fields of a packet, or undefined when it is not a plausible IPv4 packet. */
export function ipv4Destination(packet: Uint8Array): number | undefined {
  if (packet.length < 20 || packet[0]! >> 4 !== 4) return undefined
  return ((packet[16]! << 24) | (packet[17]! << 16) | (packet[18]! << 8) | packet[19]!) >>> 0
}

export function ipv4Source(packet: Uint8Array): number | undefined {
  if (packet.length < 20 || packet[0]! >> 4 !== 4) return undefined
  return ((packet[12]! << 24) | (packet[13]! << 16) | (packet[14]! << 8) | packet[15]!) >>> 0
}
