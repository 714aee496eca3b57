/**
 * The LZ4 block format (lz4 Block Format Description): raw sequences with no header, no size
 * and no checksum. The decompressed size is not stored, so the decoder takes the most it may
 * produce; the result is exactly as long as the data decoded.
 */
import { blockError, Lz4Error } from './errors.js'
import { lz4Module } from './module.js'

/** Largest input the block API accepts (the format has no limit; wasm memory does). */
export const MAX_BLOCK_INPUT = 0x7e000000

export function compressBlock(data: Uint8Array): Uint8Array {
  if (data.length > MAX_BLOCK_INPUT) {
    throw new Lz4Error(
      'INVALID_ARGUMENT',
      `lz4 compressBlock: input of ${data.length} bytes is too large`,
    )
  }
  const { exports, arena } = lz4Module()
  arena.reset()
  const src = arena.put(data)
  const dst = arena.alloc(exports.compressBound(data.length))
  const size = exports.compressBlock(src, data.length, dst)
  return arena.take(dst, size)
}

/**
 * Decode one block. `maxOutputSize` bounds the output (use the original size when known); a
 * block that would decode to more is an `OUTPUT_LIMIT` error.
 */
export function decompressBlock(block: Uint8Array, maxOutputSize: number): Uint8Array {
  if (!Number.isInteger(maxOutputSize) || maxOutputSize < 0 || maxOutputSize > MAX_BLOCK_INPUT) {
    throw new Lz4Error(
      'INVALID_ARGUMENT',
      `lz4 decompressBlock: bad maxOutputSize ${maxOutputSize}`,
    )
  }
  const { exports, arena } = lz4Module()
  arena.reset()
  const src = arena.put(block)
  const dst = arena.alloc(maxOutputSize)
  const size = exports.decompressBlock(src, block.length, dst, maxOutputSize, dst)
  if (size < 0) throw blockError(size, 'decompressBlock')
  return arena.take(dst, size)
}
