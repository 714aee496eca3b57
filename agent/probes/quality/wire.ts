/**
 * The quality probe wire format, version 1: a UDP echo request and its reply, both 60 bytes,
 * authenticated with HMAC-SHA256 under the key of the site pair (the key both sites derive
 * without any exchange, agent/probes/keys.ts). Numbers are big-endian.
 *
 *    0      1      2      3
 *   +------+------+------+------+
 *   | ver  | type | sslot| rslot|   ver = 1; type 1 = echo request, 2 = echo reply
 *   +------+------+------+------+   sslot/rslot: uplink slot (0-15) of the sender/receiver
 *   |          session          |   random per (prober, path); echoed in the reply
 *   +---------------------------+
 *   |          sequence         |   per session, +1 per request; echoed
 *   +---------------------------+
 *   |   t1: request sent, us    |   u64, requester's clock (µs since the epoch); echoed
 *   |                           |
 *   +---------------------------+
 *   |   t2: request seen, us    |   u64, responder's clock; 0 in a request
 *   |                           |
 *   +---------------------------+
 *   |  tag: HMAC-SHA256 over     |   32 bytes: HMAC(key, "patronus quality probe v1\0" ||
 *   |  bytes 0-27 (32 bytes)     |   bytes 0-27); the label separates it from other uses
 *   +---------------------------+    of the same site-pair key (BFD)
 *
 * Parsing is strict and total: anything else (other length, version, type, slot > 15, a
 * request with t2 != 0, a bad tag) is a drop with a reason, never an exception. Replay is
 * checked above this layer (the responder's window, the prober's outstanding set).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export const PROBE_VERSION = 1
export const PROBE_HEADER_LENGTH = 28
export const PROBE_TAG_LENGTH = 32
export const PROBE_LENGTH = PROBE_HEADER_LENGTH + PROBE_TAG_LENGTH
export const PROBE_TYPE_REQUEST = 1
export const PROBE_TYPE_REPLY = 2
const MAX_SLOT = 15
const LABEL = Buffer.from('patronus quality probe v1\0', 'latin1')

export type ProbeType = 'request' | 'reply'

export interface ProbePacket {
  type: ProbeType
  senderSlot: number
  receiverSlot: number
  session: number
  sequence: number
  /** Requester transmit time, µs since the epoch. */
  t1: bigint
  /** Responder receive time, µs since the epoch (0n in requests). */
  t2: bigint
}

export const DROP_REASONS = [
  'truncated',
  'oversized',
  'bad_version',
  'bad_type',
  'malformed',
  'unknown_peer',
  'bad_tag',
  'replay',
  'late',
  'unexpected',
] as const
export type DropReason = (typeof DROP_REASONS)[number]

export type DecodeResult = { ok: true; packet: ProbePacket } | { ok: false; reason: DropReason }

function tag(key: Uint8Array, header: Uint8Array): Buffer {
  return createHmac('sha256', key).update(LABEL).update(header).digest()
}

export function encodeProbe(packet: ProbePacket, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(PROBE_LENGTH)
  const view = new DataView(out.buffer)
  view.setUint8(0, PROBE_VERSION)
  view.setUint8(1, packet.type === 'request' ? PROBE_TYPE_REQUEST : PROBE_TYPE_REPLY)
  view.setUint8(2, packet.senderSlot)
  view.setUint8(3, packet.receiverSlot)
  view.setUint32(4, packet.session >>> 0)
  view.setUint32(8, packet.sequence >>> 0)
  view.setBigUint64(12, BigInt.asUintN(64, packet.t1))
  view.setBigUint64(20, BigInt.asUintN(64, packet.t2))
  out.set(tag(key, out.subarray(0, PROBE_HEADER_LENGTH)), PROBE_HEADER_LENGTH)
  return out
}

/**
 * Structural checks only (no key needed): lets a receiver reject junk before it looks a key
 * up or spends an HMAC on it. `session` is returned unauthenticated, for key/path lookup.
 */
export function precheckProbe(
  bytes: Uint8Array,
): { ok: true; type: ProbeType; session: number } | { ok: false; reason: DropReason } {
  if (bytes.length < PROBE_LENGTH) return { ok: false, reason: 'truncated' }
  if (bytes.length > PROBE_LENGTH) return { ok: false, reason: 'oversized' }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint8(0) !== PROBE_VERSION) return { ok: false, reason: 'bad_version' }
  const t = view.getUint8(1)
  if (t !== PROBE_TYPE_REQUEST && t !== PROBE_TYPE_REPLY) return { ok: false, reason: 'bad_type' }
  if (view.getUint8(2) > MAX_SLOT || view.getUint8(3) > MAX_SLOT) {
    return { ok: false, reason: 'malformed' }
  }
  if (t === PROBE_TYPE_REQUEST && view.getBigUint64(20) !== 0n) {
    return { ok: false, reason: 'malformed' }
  }
  return {
    ok: true,
    type: t === PROBE_TYPE_REQUEST ? 'request' : 'reply',
    session: view.getUint32(4),
  }
}

/** Full decode: structure, then the tag under `key` (undefined = no key for this sender). */
export function decodeProbe(bytes: Uint8Array, key: Uint8Array | undefined): DecodeResult {
  const pre = precheckProbe(bytes)
  if (!pre.ok) return pre
  if (!key || key.length === 0) return { ok: false, reason: 'unknown_peer' }
  const expected = tag(key, bytes.subarray(0, PROBE_HEADER_LENGTH))
  if (!timingSafeEqual(expected, bytes.subarray(PROBE_HEADER_LENGTH, PROBE_LENGTH))) {
    return { ok: false, reason: 'bad_tag' }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    ok: true,
    packet: {
      type: pre.type,
      senderSlot: view.getUint8(2),
      receiverSlot: view.getUint8(3),
      session: pre.session,
      sequence: view.getUint32(8),
      t1: view.getBigUint64(12),
      t2: view.getBigUint64(20),
    },
  }
}

/** Epoch milliseconds (possibly fractional) to the wire's microseconds. */
export function toMicros(ms: number): bigint {
  return BigInt(Math.max(0, Math.round(ms * 1000)))
}
