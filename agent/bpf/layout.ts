/**
 * Byte layout of the classifier's maps, mirrored from bpf/common.h (change both together).
 * The loader writes map entries as raw bytes through bpftool, so this is the one place that
 * knows the C structs. Host byte order is little endian (x86-64, arm64).
 */

export const MAX_CLASSES = 16
export const MAX_POLICIES = 64
export const MAX_APPS = 256
export const MAX_PORT_RULES = 64
export const LB_BUCKETS = 64
export const NAME_LEN = 64
export const UNCLASSIFIED = 0xffff
export const NO_DSCP = 0xff

/** Per-CPU stats indices (enum pt_stat). */
export const STAT_NAMES = [
  'packets',
  'nonIp',
  'malformed',
  'truncated',
  'fragments',
  'otherL4',
  'newFlows',
  'dpiHits',
  'reclassified',
] as const
export type StatName = (typeof STAT_NAMES)[number]

/** Map names as the kernel shows them (15 characters at most). */
export const MAP_NAMES = [
  'pt_flows',
  'pt_config',
  'pt_ports',
  'pt_dscp',
  'pt_apps',
  'pt_classes',
  'pt_lb',
  'pt_pfx4',
  'pt_pfx6',
  'pt_names',
  'pt_stats',
  'pt_class_stats',
  'pt_app_stats',
] as const
export type MapName = (typeof MAP_NAMES)[number]

export interface ConfigEntry {
  generation: number
  classMarkBase: number
  tlsApp: number
  httpApp: number
  sshApp: number
  dnsApp: number
  sipApp: number
  rtpApp: number
  rtpPortLo: number
  rtpPortHi: number
  inspectPackets: number
  portWild: bigint
  srcWild: bigint
  dstWild: bigint
  appWild: bigint
  /** tcp, udp, icmp, other; each already OR-ed with the wildcard. */
  protoMask: [bigint, bigint, bigint, bigint]
  /** Policy bit -> class id. */
  policyClass: number[]
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(value >>> 0)
  return b
}

export function u64(value: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt.asUintN(64, value))
  return b
}

export function encodeConfig(c: ConfigEntry): Buffer {
  const b = Buffer.alloc(224)
  b.writeUInt32LE(c.generation >>> 0, 0)
  b.writeUInt32LE(c.classMarkBase >>> 0, 4)
  const apps = [c.tlsApp, c.httpApp, c.sshApp, c.dnsApp, c.sipApp, c.rtpApp, c.rtpPortLo]
  apps.forEach((v, i) => {
    b.writeUInt16LE(v, 8 + 2 * i)
  })
  b.writeUInt16LE(c.rtpPortHi, 22)
  b.writeUInt8(c.inspectPackets, 24)
  const masks = [c.portWild, c.srcWild, c.dstWild, c.appWild, ...c.protoMask]
  masks.forEach((m, i) => {
    b.writeBigUInt64LE(BigInt.asUintN(64, m), 32 + 8 * i)
  })
  for (let i = 0; i < MAX_POLICIES; i++)
    b.writeUInt16LE(c.policyClass[i] ?? UNCLASSIFIED, 96 + 2 * i)
  return b
}

export function encodePortRule(lo: number, hi: number, mask: bigint): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt16LE(lo, 0)
  b.writeUInt16LE(hi, 2)
  b.writeBigUInt64LE(BigInt.asUintN(64, mask), 8)
  return b
}

export function encodeClass(mark: number, dscp: number, lbMode: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32LE(mark >>> 0, 0)
  b.writeUInt8(dscp, 4)
  b.writeUInt8(lbMode, 5)
  return b
}

/** LPM key: prefixlen (8 + bits), direction byte, address; padded to the C struct size. */
export function encodePrefixKey(dir: 0 | 1, addr: Buffer, bits: number): Buffer {
  const size = addr.length === 4 ? 12 : 24
  const b = Buffer.alloc(size)
  b.writeUInt32LE(8 + bits, 0)
  b.writeUInt8(dir, 4)
  addr.copy(b, 5)
  return b
}

/** A name suffix as the classifier looks it up: reversed, with a leading dot. */
export function encodeNameKey(suffix: string): Buffer {
  const b = Buffer.alloc(4 + NAME_LEN)
  const dotted = `.${suffix.toLowerCase()}`
  const bytes = Buffer.from(dotted, 'ascii').reverse()
  if (bytes.length > NAME_LEN) throw new RangeError(`name suffix ${suffix} is too long`)
  b.writeUInt32LE(bytes.length * 8, 0)
  bytes.copy(b, 4)
  return b
}

export interface FlowEntry {
  family: 4 | 6
  proto: number
  src: string
  dst: string
  sport: number
  dport: number
  packets: number
  bytes: number
  firstSeenNs: bigint
  lastSeenNs: bigint
  mark: number
  generation: number
  /** undefined when no policy matched. */
  classId: number | undefined
  appId: number
}

function ipText(b: Buffer, family: 4 | 6): string {
  if (family === 4) return [...b.subarray(0, 4)].join('.')
  const parts: string[] = []
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16))
  return parts.join(':')
}

export function decodeFlow(key: Buffer, value: Buffer): FlowEntry {
  const family = key.readUInt8(0) === 6 ? 6 : 4
  const classId = value.readUInt16LE(40)
  return {
    family,
    proto: key.readUInt8(1),
    sport: key.readUInt16LE(2),
    dport: key.readUInt16LE(4),
    src: ipText(key.subarray(8, 24), family),
    dst: ipText(key.subarray(24, 40), family),
    packets: Number(value.readBigUInt64LE(0)),
    bytes: Number(value.readBigUInt64LE(8)),
    firstSeenNs: value.readBigUInt64LE(16),
    lastSeenNs: value.readBigUInt64LE(24),
    mark: value.readUInt32LE(32),
    generation: value.readUInt32LE(36),
    classId: classId === UNCLASSIFIED ? undefined : classId,
    appId: value.readUInt16LE(42),
  }
}
