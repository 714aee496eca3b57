/**
 * Compression and framing on the sending side, shared by the block and the sliding code: a
 * packet is LZ4-compressed only when that makes it smaller, and a datagram is the optimizer
 * header (protocol/optimizer.ts) followed by its payload, in one buffer from Node's pool.
 */
import {
  OPTIMIZER_HEADER_LENGTH,
  type OptimizerPacket,
  writeOptimizerHeader,
} from '../../../protocol/optimizer'
import { compressBlock } from '../../../wasm/lz4'

/** The packet LZ4-compressed, or undefined when compressing does not make it smaller. */
export function compressIfSmaller(ip: Uint8Array): Uint8Array | undefined {
  const compressed = compressBlock(ip)
  return compressed.length < ip.length ? compressed : undefined
}

/** A data or source datagram: the header, then the stored payload. */
export function frameDatagram(
  header: Omit<OptimizerPacket, 'payload'>,
  payload: Uint8Array,
): Uint8Array {
  const datagram = allocDatagram(OPTIMIZER_HEADER_LENGTH + payload.length)
  writeOptimizerHeader(datagram, header)
  datagram.set(payload, OPTIMIZER_HEADER_LENGTH)
  return datagram
}

/**
 * Every byte of a datagram is written (header, then payload or parity), so it can come from
 * Node's pooled, unzeroed allocator: a fresh typed array of this size costs about a microsecond
 * (its own backing store), a large share of the per-packet budget at 100k packets/s.
 */
export function allocDatagram(length: number): Uint8Array {
  return Buffer.allocUnsafe(length)
}

/** A random u32 session id, so that a restarted sender is a new session to the peer. */
export function randomSession(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!
}
