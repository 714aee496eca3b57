/**
 * IP address literals as numbers, and prefix (CIDR) membership, for the webhook target
 * guard. IPv6 is parsed to a 128-bit bigint (RFC 4291 sec. 2.2: eight groups of up to four
 * hex digits, one `::`, an optional dotted-quad tail) so that a range check is arithmetic
 * on the address, whatever its spelling (compressed or not, upper case, leading zeros,
 * IPv4 tail, brackets, zone id). Runs on Node and Workers, so no node:net.
 */

export interface Cidr {
  version: 4 | 6
  /** The network address, as a number of `version === 4 ? 32 : 128` bits. */
  base: bigint
  prefix: number
}

/** A strict dotted quad (four decimal octets), as a 32-bit number. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined
    value = value * 256 + Number(p)
  }
  return value
}

/** An IPv6 literal, optionally in brackets or with a zone (`%eth0`), as a 128-bit number. */
export function parseIPv6(text: string): bigint | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  s = s.replace(/%[^%]*$/, '')
  if (!s.includes(':')) return undefined
  // A dotted-quad tail (`::ffff:127.0.0.1`) stands for the last two groups.
  let tail: number[] = []
  const lastColon = s.lastIndexOf(':')
  const last = s.slice(lastColon + 1)
  if (last.includes('.')) {
    const v4 = parseIPv4(last)
    if (v4 === undefined) return undefined
    tail = [Math.floor(v4 / 65536), v4 % 65536]
    // Keep a `::` that ends right before the quad (`::1.2.3.4`), drop a single `:`.
    s = s.slice(0, lastColon + 1)
    s = s.endsWith('::') ? s : s.slice(0, -1)
  }
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const groups = (half: string) => (half === '' ? [] : half.split(':'))
  const head = groups(halves[0]!)
  const rest = halves.length === 2 ? groups(halves[1]!) : []
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined
  const explicit = head.length + rest.length + tail.length
  // Without `::` all eight groups are written; with it, it stands for at least one.
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined
  const all = [
    ...head.map((g) => Number.parseInt(g, 16)),
    ...new Array<number>(8 - explicit).fill(0),
    ...rest.map((g) => Number.parseInt(g, 16)),
    ...tail,
  ]
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)
}

/** `a.b.c.d/n` or `x::y/n`; throws on a malformed range (the tables are ours). */
export function parseCidr(text: string): Cidr {
  const [address = '', bits = ''] = text.split('/')
  const prefix = Number(bits)
  const v4 = parseIPv4(address)
  const version = v4 === undefined ? 6 : 4
  const value = v4 === undefined ? parseIPv6(address) : BigInt(v4)
  const width = version === 4 ? 32 : 128
  if (value === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > width) {
    throw new Error(`bad CIDR ${text}`)
  }
  const base = value & mask(prefix, width)
  if (base !== value) throw new Error(`CIDR ${text} has host bits set`)
  return { version, base, prefix }
}

const mask = (prefix: number, width: number) =>
  ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix)

/** True when `value` (an address of the CIDR's version) lies inside it. */
export function inCidr(value: bigint, cidr: Cidr): boolean {
  const width = cidr.version === 4 ? 32 : 128
  return (value & mask(cidr.prefix, width)) === cidr.base
}

/** The parsed address, or undefined when `host` is not an IP literal. */
export function parseAddress(host: string): { version: 4 | 6; value: bigint } | undefined {
  const v4 = parseIPv4(host)
  if (v4 !== undefined) return { version: 4, value: BigInt(v4) }
  const v6 = parseIPv6(host)
  return v6 === undefined ? undefined : { version: 6, value: v6 }
}
