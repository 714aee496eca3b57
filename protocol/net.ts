/**
 * IP addresses and CIDR prefixes for both halves: parsing (IPv4 dotted quad, IPv6 with
 * `::` and an embedded IPv4 tail), canonical text (RFC 5952 for IPv6), normalisation (host
 * bits cleared) and range arithmetic. Addresses are bigints so one code path serves both
 * families.
 */

export type Family = 4 | 6

export interface Cidr {
  family: Family
  /** Network address with host bits cleared. */
  network: bigint
  length: number
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 }

export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0n
  for (const part of parts) {
    // Leading zeros are rejected: "010" is octal to some tools and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    value = (value << 8n) | BigInt(n)
  }
  return value
}

export function parseIpv6(text: string): bigint | undefined {
  if (text.length > 45 || text.length < 2) return undefined
  let hexText = text
  const lastColon = text.lastIndexOf(':')
  if (text.includes('.', lastColon)) {
    // An embedded IPv4 tail (RFC 4291 sec. 2.2 form 3) stands for the last two groups.
    const v4 = parseIpv4(text.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    hexText = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const halves = hexText.split('::')
  if (halves.length > 2) return undefined
  const toGroups = (part: string) => (part === '' ? [] : part.split(':'))
  let groups: string[]
  if (halves.length === 2) {
    const left = toGroups(halves[0] ?? '')
    const right = toGroups(halves[1] ?? '')
    const missing = 8 - left.length - right.length
    if (missing < 1) return undefined
    groups = [...left, ...Array<string>(missing).fill('0'), ...right]
  } else {
    groups = hexText.split(':')
  }
  if (groups.length !== 8) return undefined
  let value = 0n
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined
    value = (value << 16n) | BigInt(Number.parseInt(group, 16))
  }
  return value
}

export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  const v4 = parseIpv4(text)
  if (v4 !== undefined) return { family: 4, value: v4 }
  const v6 = text.includes(':') ? parseIpv6(text) : undefined
  return v6 === undefined ? undefined : { family: 6, value: v6 }
}

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.')
  }
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn))
  // RFC 5952 sec. 4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  const left = hex.slice(0, bestStart).join(':')
  const right = hex.slice(bestStart + bestLength).join(':')
  return `${left}::${right}`
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/')
  if (slash < 0) return undefined
  const address = parseIp(text.slice(0, slash))
  const lengthText = text.slice(slash + 1)
  if (!address || !/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return undefined
  const length = Number(lengthText)
  const bits = BITS[address.family]
  if (length > bits) return undefined
  return {
    family: address.family,
    network: address.value & prefixMask(address.family, length),
    length,
  }
}

export function prefixMask(family: Family, length: number): bigint {
  const bits = BigInt(BITS[family])
  const all = (1n << bits) - 1n
  return all ^ ((1n << (bits - BigInt(length))) - 1n)
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.family, cidr.network)}/${cidr.length}`
}

/** Canonical text of a CIDR, host bits cleared: "10.1.2.3/24" -> "10.1.2.0/24". */
export function normaliseCidr(text: string): string | undefined {
  const cidr = parseCidr(text)
  return cidr && formatCidr(cidr)
}

export function cidrRange(cidr: Cidr): { start: bigint; end: bigint } {
  const size = 1n << BigInt(BITS[cidr.family] - cidr.length)
  return { start: cidr.network, end: cidr.network + size - 1n }
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false
  const ra = cidrRange(a)
  const rb = cidrRange(b)
  return ra.start <= rb.end && rb.start <= ra.end
}

export function cidrContains(cidr: Cidr, family: Family, address: bigint): boolean {
  if (cidr.family !== family) return false
  const { start, end } = cidrRange(cidr)
  return address >= start && address <= end
}

/** Fixed-width hex, so that string order equals numeric order (for indexed range queries). */
export function toSortableHex(family: Family, value: bigint): string {
  return value.toString(16).padStart(BITS[family] / 4, '0')
}
