/**
 * The WAN optimizer's wire format, version 1: the UDP payload that agents exchange, through the
 * WireGuard tunnel of the class's current path, to carry IP packets with Reed-Solomon forward
 * error correction and per-packet LZ4 compression (docs/wanopt.md has the byte-by-byte table
 * and the operations). All numbers are big-endian. Every datagram has a 16-byte header:
 *
 *    0      1      2      3      4      5      6      7
 *   +------+------+------+------+------+------+------+------+
 *   |  magic 'P' 'O'  | ver  | type |flags |  k   |  m   | idx  |
 *   +------+------+------+------+------+------+------+------+
 *   |        session (u32)      |     block sequence (u32)  |
 *   +---------------------------+---------------------------+
 *   | payload ...
 *
 * - type 1 = data: the payload is one IP packet, LZ4-compressed (block format) when flag bit 0
 *   is set. `idx` < k is its place in the block; k and m are the sender's plan for the block
 *   (m = 0: this block gets no parity, the receiver need not keep the packet).
 * - type 2 = parity: the payload is one Reed-Solomon parity shard. k and m are the block's
 *   final counts (a block flushed at its deadline has fewer than the planned k data packets),
 *   k <= idx < k + m. Every shard of a block, data or parity, is `L` bytes: data shard i is
 *   [prefix u16][stored payload][zero padding], prefix = bit 15 compressed | bits 0-14 the
 *   stored payload length, and L = 2 + the longest stored payload of the block. Data packets do
 *   not carry the prefix or the padding (the receiver rebuilds both), so only parity costs the
 *   2 extra bytes.
 * - session: random per sender start, so a restarted peer's block numbers (which start at 0
 *   again) are not taken for replays. block: +1 per block within a session.
 *
 * `parseOptimizerPacket` is total: malformed input is a drop reason, never an exception.
 * Replay, duplicates and the window are checked above this layer (agent/optimizer/receiver.ts).
 */

export const OPTIMIZER_MAGIC = 0x504f // 'PO'
export const OPTIMIZER_VERSION = 1
export const OPTIMIZER_HEADER_LENGTH = 16
export const OPTIMIZER_TYPE_DATA = 1
export const OPTIMIZER_TYPE_PARITY = 2
export const OPTIMIZER_FLAG_COMPRESSED = 0x01
/** The length prefix inside every FEC shard (compressed bit + stored length). */
export const OPTIMIZER_SHARD_PREFIX = 2
/** Largest data shards per block; with MAX_M it keeps k + m <= 64 (a 64-bit seen mask). */
export const OPTIMIZER_MAX_K = 32
export const OPTIMIZER_MAX_M = 16
/** The prefix stores the length in 15 bits. */
export const OPTIMIZER_MAX_STORED = 0x7fff

/** WireGuard's default interface MTU, the one the control plane hands out. */
export const WIREGUARD_MTU = 1420
/**
 * Outer headers of an optimizer datagram inside the tunnel: IPv6 (40) + UDP (8). IPv4 needs 28;
 * budgeting for IPv6 keeps the MTU right whichever family the overlay uses.
 */
export const OPTIMIZER_OUTER_OVERHEAD = 48

/**
 * The optimizer TUN MTU for a tunnel MTU: the largest IP packet whose parity datagram (header +
 * shard prefix + payload, plus outer IP/UDP) still fits the WireGuard tunnel unfragmented.
 */
export function optimizerTunMtu(tunnelMtu = WIREGUARD_MTU): number {
  return tunnelMtu - OPTIMIZER_OUTER_OVERHEAD - OPTIMIZER_HEADER_LENGTH - OPTIMIZER_SHARD_PREFIX
}

/** 1354: the TUN MTU (and largest IP packet) for the default 1420-byte WireGuard MTU. */
export const OPTIMIZER_TUN_MTU = optimizerTunMtu(WIREGUARD_MTU)

export type OptimizerPacketType = 'data' | 'parity'

export interface OptimizerPacket {
  type: OptimizerPacketType
  /** Data only: the payload is an LZ4 block. */
  compressed: boolean
  session: number
  block: number
  /** Data: planned data count; parity: final data count. */
  k: number
  /** Data: planned parity count (0 = none); parity: final parity count. */
  m: number
  index: number
  /** A view into the datagram (not a copy). */
  payload: Uint8Array
}

export const OPTIMIZER_DROP_REASONS = [
  // parse
  'truncated',
  'oversized',
  'bad_magic',
  'bad_version',
  'bad_type',
  'malformed',
  // receiver
  'duplicate',
  'out_of_window',
  'inconsistent',
  'bad_shard',
  'decompress_failed',
] as const
export type OptimizerDropReason = (typeof OPTIMIZER_DROP_REASONS)[number]

export type OptimizerParseResult =
  | { ok: true; packet: OptimizerPacket }
  | { ok: false; reason: OptimizerDropReason }

/** Writes the 16-byte header into `out` (at least OPTIMIZER_HEADER_LENGTH bytes). */
export function writeOptimizerHeader(out: Uint8Array, h: Omit<OptimizerPacket, 'payload'>): void {
  out[0] = OPTIMIZER_MAGIC >> 8
  out[1] = OPTIMIZER_MAGIC & 0xff
  out[2] = OPTIMIZER_VERSION
  out[3] = h.type === 'data' ? OPTIMIZER_TYPE_DATA : OPTIMIZER_TYPE_PARITY
  out[4] = h.compressed ? OPTIMIZER_FLAG_COMPRESSED : 0
  out[5] = h.k
  out[6] = h.m
  out[7] = h.index
  writeU32(out, 8, h.session)
  writeU32(out, 12, h.block)
}

/** A whole datagram: header + payload (copied). */
export function encodeOptimizerPacket(p: OptimizerPacket): Uint8Array {
  const out = new Uint8Array(OPTIMIZER_HEADER_LENGTH + p.payload.length)
  writeOptimizerHeader(out, p)
  out.set(p.payload, OPTIMIZER_HEADER_LENGTH)
  return out
}

/**
 * Structure checks of one datagram. `maxPacket` bounds a data payload (the peer's TUN MTU);
 * a parity payload may be OPTIMIZER_SHARD_PREFIX bytes longer.
 */
export function parseOptimizerPacket(
  bytes: Uint8Array,
  maxPacket = OPTIMIZER_TUN_MTU,
): OptimizerParseResult {
  if (bytes.length < OPTIMIZER_HEADER_LENGTH) return { ok: false, reason: 'truncated' }
  if (((bytes[0]! << 8) | bytes[1]!) !== OPTIMIZER_MAGIC) return { ok: false, reason: 'bad_magic' }
  if (bytes[2] !== OPTIMIZER_VERSION) return { ok: false, reason: 'bad_version' }
  const t = bytes[3]!
  if (t !== OPTIMIZER_TYPE_DATA && t !== OPTIMIZER_TYPE_PARITY) {
    return { ok: false, reason: 'bad_type' }
  }
  const flags = bytes[4]!
  const k = bytes[5]!
  const m = bytes[6]!
  const index = bytes[7]!
  const payloadLength = bytes.length - OPTIMIZER_HEADER_LENGTH
  if (k < 1 || k > OPTIMIZER_MAX_K || m > OPTIMIZER_MAX_M) return { ok: false, reason: 'malformed' }
  if (t === OPTIMIZER_TYPE_DATA) {
    if ((flags & ~OPTIMIZER_FLAG_COMPRESSED) !== 0 || index >= k) {
      return { ok: false, reason: 'malformed' }
    }
    if (payloadLength === 0) return { ok: false, reason: 'truncated' }
    if (payloadLength > Math.min(maxPacket, OPTIMIZER_MAX_STORED)) {
      return { ok: false, reason: 'oversized' }
    }
  } else {
    if (flags !== 0 || m < 1 || index < k || index >= k + m) {
      return { ok: false, reason: 'malformed' }
    }
    if (payloadLength <= OPTIMIZER_SHARD_PREFIX) return { ok: false, reason: 'truncated' }
    if (payloadLength > Math.min(maxPacket, OPTIMIZER_MAX_STORED) + OPTIMIZER_SHARD_PREFIX) {
      return { ok: false, reason: 'oversized' }
    }
  }
  return {
    ok: true,
    packet: {
      type: t === OPTIMIZER_TYPE_DATA ? 'data' : 'parity',
      compressed: (flags & OPTIMIZER_FLAG_COMPRESSED) !== 0,
      session: readU32(bytes, 8),
      block: readU32(bytes, 12),
      k,
      m,
      index,
      payload: bytes.subarray(OPTIMIZER_HEADER_LENGTH),
    },
  }
}

/** The shard prefix of a stored payload: bit 15 compressed, bits 0-14 its length. */
export function shardPrefix(storedLength: number, compressed: boolean): number {
  return (compressed ? 0x8000 : 0) | storedLength
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24
  out[at + 1] = (v >>> 16) & 0xff
  out[at + 2] = (v >>> 8) & 0xff
  out[at + 3] = v & 0xff
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
}
