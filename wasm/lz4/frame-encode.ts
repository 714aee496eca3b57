/**
 * LZ4 frame encoder: header, independent blocks (each compressed by the wasm block compressor, or
 * stored raw when that does not make it smaller, as the format allows), end mark and optional
 * checksums. Defaults match the `lz4` CLI: 4 MiB blocks, content checksum on, block checksums
 * off, no content size.
 */
import { Lz4Error } from './errors.js'
import {
  BLOCK_UNCOMPRESSED,
  type BlockSize,
  blockSizeCode,
  FLG_BLOCK_CHECKSUM,
  FLG_BLOCK_INDEPENDENT,
  FLG_CONTENT_CHECKSUM,
  FLG_CONTENT_SIZE,
  FLG_VERSION,
  FRAME_MAGIC,
} from './frame-format.js'
import { lz4Module } from './module.js'

export interface FrameCompressOptions {
  /** Block maximum size: 64 KiB, 256 KiB, 1 MiB or 4 MiB (default, as `lz4`). */
  blockSize?: BlockSize
  /** xxHash32 of each stored block (default false, as `lz4`). */
  blockChecksum?: boolean
  /** xxHash32 of the whole content (default true, as `lz4`). */
  contentChecksum?: boolean
  /** Store the content size in the header (default false, as `lz4`). */
  contentSize?: boolean
}

/** Largest input compressFrame accepts in one call, to keep wasm memory below 4 GiB. */
export const MAX_FRAME_INPUT = 0x60000000

export function compressFrame(data: Uint8Array, options: FrameCompressOptions = {}): Uint8Array {
  const blockSize = options.blockSize ?? 4 * 1024 * 1024
  const code = blockSizeCode(blockSize)
  if (code === undefined) {
    throw new Lz4Error('INVALID_ARGUMENT', `lz4 compressFrame: unsupported block size ${blockSize}`)
  }
  if (data.length > MAX_FRAME_INPUT) {
    throw new Lz4Error(
      'INVALID_ARGUMENT',
      `lz4 compressFrame: input of ${data.length} bytes is too large`,
    )
  }
  const blockChecksum = options.blockChecksum ?? false
  const contentChecksum = options.contentChecksum ?? true
  const contentSize = options.contentSize ?? false

  const { exports, arena } = lz4Module()
  arena.reset()
  const src = arena.put(data)
  const blocks = Math.ceil(data.length / blockSize)
  const perBlock = 8 + exports.compressBound(Math.min(blockSize, data.length))
  const dst = arena.alloc(19 + blocks * perBlock + 8)
  let view = new DataView(arena.u8().buffer)

  // Header.
  view.setUint32(dst, FRAME_MAGIC, true)
  const flg =
    FLG_VERSION |
    FLG_BLOCK_INDEPENDENT |
    (blockChecksum ? FLG_BLOCK_CHECKSUM : 0) |
    (contentSize ? FLG_CONTENT_SIZE : 0) |
    (contentChecksum ? FLG_CONTENT_CHECKSUM : 0)
  view.setUint8(dst + 4, flg)
  view.setUint8(dst + 5, code << 4)
  let op = dst + 6
  if (contentSize) {
    view.setBigUint64(op, BigInt(data.length), true)
    op += 8
  }
  // HC: second byte of xxh32 over the descriptor from FLG to the end of the optional fields.
  view.setUint8(op, (exports.xxh32(dst + 4, op - (dst + 4), 0) >>> 8) & 0xff)
  op += 1

  // Blocks.
  for (let offset = 0; offset < data.length; offset += blockSize) {
    const n = Math.min(blockSize, data.length - offset)
    const size = exports.compressBlock(src + offset, n, op + 4)
    let stored = size
    if (size >= n) {
      // Incompressible: store the raw bytes instead (never larger than the input).
      arena.u8().copyWithin(op + 4, src + offset, src + offset + n)
      stored = n
      view.setUint32(op, (n | BLOCK_UNCOMPRESSED) >>> 0, true)
    } else {
      view.setUint32(op, size, true)
    }
    op += 4 + stored
    if (blockChecksum) {
      view.setUint32(op, exports.xxh32(op - stored, stored, 0) >>> 0, true)
      op += 4
    }
  }
  view = new DataView(arena.u8().buffer)
  view.setUint32(op, 0, true)
  op += 4
  if (contentChecksum) {
    view.setUint32(op, exports.xxh32(src, data.length, 0) >>> 0, true)
    op += 4
  }
  return arena.take(dst, op - dst)
}
