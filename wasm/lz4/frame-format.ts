/**
 * Constants and field layout of the LZ4 frame format (lz4 Frame Format Description v1.6.x,
 * lz4/doc/lz4_Frame_format.md). All multi-byte fields are little-endian.
 *
 *   MagicNb(4) FLG(1) BD(1) [ContentSize(8)] [DictID(4)] HC(1)
 *   { BlockSize(4) Data [BlockChecksum(4)] }*  EndMark(4 = 0)  [ContentChecksum(4)]
 */

export const FRAME_MAGIC = 0x184d2204
/** Skippable frames use magics 0x184D2A50 to 0x184D2A5F ("Skippable Frames"). */
export const SKIPPABLE_MASK = 0xfffffff0
export const SKIPPABLE_MAGIC = 0x184d2a50
/** The legacy frame (`lz4 -l`) is a different format we do not read. */
export const LEGACY_MAGIC = 0x184c2102

/** FLG byte: version in bits 7-6 (must be 01), then the flags ("FLG byte"). */
export const FLG_VERSION = 0x40
export const FLG_BLOCK_INDEPENDENT = 0x20
export const FLG_BLOCK_CHECKSUM = 0x10
export const FLG_CONTENT_SIZE = 0x08
export const FLG_CONTENT_CHECKSUM = 0x04
export const FLG_RESERVED = 0x02
export const FLG_DICT_ID = 0x01

/** High bit of a block size: the block is stored uncompressed ("Data Blocks"). */
export const BLOCK_UNCOMPRESSED = 0x80000000

/** BD byte bits 6-4: block maximum size code 4..7 ("BD byte"). */
export const BLOCK_SIZES = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4 * 1024 * 1024,
} as const
export type BlockSizeCode = keyof typeof BLOCK_SIZES
export type BlockSize = (typeof BLOCK_SIZES)[BlockSizeCode]

export function blockSizeCode(size: number): BlockSizeCode | undefined {
  for (const [code, bytes] of Object.entries(BLOCK_SIZES)) {
    if (bytes === size) return Number(code) as BlockSizeCode
  }
  return undefined
}
