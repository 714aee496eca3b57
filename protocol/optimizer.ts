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
 * - type 3 = source, type 4 = repair: the sliding-window code (RFC 8681-style random linear
 *   code, agent/optimizer/codec/sliding/). Bytes 12-15 are a source sequence number (ESI), +1 per
 *   packet of the session, instead of a block. A source payload is one IP packet as for type 1
 *   (flag bit 0 = LZ4), bytes 5-7 zero. A repair covers the `window` (byte 5, 1..64) source
 *   packets from ESI bytes 12-15 on; bytes 6-7 zero; its payload is sum c_i * shard_i over
 *   GF(2^8), shards built as for parity ([prefix u16][stored payload][zero padding] to L = 2 +
 *   the longest stored payload of the window), c_i from a PRNG seeded with the session and the
 *   window's last ESI.
 *
 * `parseOptimizerPacket` is total: malformed input is a drop reason, never an exception.
 * Replay, duplicates and the window are checked above this layer (agent/optimizer/codec/receiver.ts).
 */

export const OPTIMIZER_MAGIC = 0x504f // 'PO'
export const OPTIMIZER_VERSION = 1
export const OPTIMIZER_HEADER_LENGTH = 16
export const OPTIMIZER_TYPE_DATA = 1
export const OPTIMIZER_TYPE_PARITY = 2
export const OPTIMIZER_TYPE_SOURCE = 3
export const OPTIMIZER_TYPE_REPAIR = 4
/** Largest sliding-window repair window, in source packets. */
export const OPTIMIZER_MAX_WINDOW = 64
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

export type OptimizerPacketType = 'data' | 'parity' | 'source' | 'repair'

export interface OptimizerPacket {
  type: OptimizerPacketType
  /** Data only: the payload is an LZ4 block. */
  compressed: boolean
  session: number
  /** Block code: the block number. Sliding code: the source ESI, or a repair's first ESI. */
  block: number
  /** Data: planned data count; parity: final data count; repair: window size; source: 0. */
  k: number
  /** Data: planned parity count (0 = none); parity: final parity count; sliding: 0. */
  m: number
  /** Block code: place in the block; sliding: 0. */
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
  out[3] = TYPE_CODES[h.type]
  out[4] = h.compressed ? OPTIMIZER_FLAG_COMPRESSED : 0
  out[5] = h.k
  out[6] = h.m
  out[7] = h.index
  writeU32(out, 8, h.session)
  writeU32(out, 12, h.block)
}

const TYPE_CODES: Record<OptimizerPacketType, number> = {
  data: OPTIMIZER_TYPE_DATA,
  parity: OPTIMIZER_TYPE_PARITY,
  source: OPTIMIZER_TYPE_SOURCE,
  repair: OPTIMIZER_TYPE_REPAIR,
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
  if (t === OPTIMIZER_TYPE_SOURCE || t === OPTIMIZER_TYPE_REPAIR) {
    return parseSliding(bytes, t, maxPacket)
  }
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

/** Types 3 and 4 (the sliding-window code), after magic and version. */
function parseSliding(bytes: Uint8Array, t: number, maxPacket: number): OptimizerParseResult {
  const flags = bytes[4]!
  const window = bytes[5]!
  const payloadLength = bytes.length - OPTIMIZER_HEADER_LENGTH
  const esi = readU32(bytes, 12)
  const max = Math.min(maxPacket, OPTIMIZER_MAX_STORED)
  if (bytes[6] !== 0 || bytes[7] !== 0) return { ok: false, reason: 'malformed' }
  if (t === OPTIMIZER_TYPE_SOURCE) {
    if ((flags & ~OPTIMIZER_FLAG_COMPRESSED) !== 0 || window !== 0) {
      return { ok: false, reason: 'malformed' }
    }
    if (payloadLength === 0) return { ok: false, reason: 'truncated' }
    if (payloadLength > max) return { ok: false, reason: 'oversized' }
  } else {
    if (flags !== 0 || window < 1 || window > OPTIMIZER_MAX_WINDOW) {
      return { ok: false, reason: 'malformed' }
    }
    // The window's last ESI must exist: numbers do not wrap within a session.
    if (esi + window - 1 > 0xffffffff) return { ok: false, reason: 'malformed' }
    if (payloadLength <= OPTIMIZER_SHARD_PREFIX) return { ok: false, reason: 'truncated' }
    if (payloadLength > max + OPTIMIZER_SHARD_PREFIX) return { ok: false, reason: 'oversized' }
  }
  return {
    ok: true,
    packet: {
      type: t === OPTIMIZER_TYPE_SOURCE ? 'source' : 'repair',
      compressed: (flags & OPTIMIZER_FLAG_COMPRESSED) !== 0,
      session: readU32(bytes, 8),
      block: esi,
      k: window,
      m: 0,
      index: 0,
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
