/** Address <-> netlink byte conversions for rtnetlink messages. */
import { type Family, formatIp, parseCidr, parseIp } from '../../protocol/net'

export const AF_INET = 2
export const AF_INET6 = 10

export function afOf(family: Family): number {
  return family === 4 ? AF_INET : AF_INET6
}

export function familyOfAf(af: number): Family | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined
}

export function ipToBuffer(text: string): { family: Family; bytes: Buffer } {
  const ip = parseIp(text)
  if (!ip) throw new Error(`${text} is not an IP address`)
  const size = ip.family === 4 ? 4 : 16
  const bytes = Buffer.alloc(size)
  let value = ip.value
  for (let i = size - 1; i >= 0; i--) {
    bytes[i] = Number(value & 0xffn)
    value >>= 8n
  }
  return { family: ip.family, bytes }
}

export function bufferToIp(bytes: Uint8Array): string {
  const family: Family = bytes.length === 4 ? 4 : 6
  let value = 0n
  for (const b of bytes) value = (value << 8n) | BigInt(b)
  return formatIp(family, value)
}

/** Splits `addr/len` keeping host bits (an interface address), or throws. */
export function splitCidr(text: string): { family: Family; address: string; length: number } {
  const cidr = parseCidr(text)
  const slash = text.indexOf('/')
  if (!cidr || slash < 0) throw new Error(`${text} is not a CIDR`)
  return { family: cidr.family, address: text.slice(0, slash), length: cidr.length }
}
