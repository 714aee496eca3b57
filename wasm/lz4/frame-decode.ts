/**
 * LZ4 frame decoder for untrusted input. Two passes: the first walks the framing (headers, block
 * sizes, end marks) of every concatenated frame and checks it against the format, which also
 * bounds the output size before any memory is committed; the second decodes the blocks in wasm
 * and verifies the checksums. Skippable frames are skipped; the legacy format and dictionaries
 * are refused with `UNSUPPORTED`. Output is capped by `maxOutputSize`.
 */
import { blockError, Lz4Error } from './errors.js'
import {
  BLOCK_SIZES,
  BLOCK_UNCOMPRESSED,
  type BlockSizeCode,
  FLG_BLOCK_CHECKSUM,
  FLG_BLOCK_INDEPENDENT,
  FLG_CONTENT_CHECKSUM,
  FLG_CONTENT_SIZE,
  FLG_DICT_ID,
  FLG_RESERVED,
  FRAME_MAGIC,
  LEGACY_MAGIC,
  SKIPPABLE_MAGIC,
  SKIPPABLE_MASK,
} from './frame-format.js'
import { lz4Module } from './module.js'

export interface FrameDecompressOptions {
  /** Most bytes the frames may decode to (default 64 MiB); more is an `OUTPUT_LIMIT` error. */
  maxOutputSize?: number
}

export const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024
const MAX_OUTPUT_CEILING = 0x60000000

interface BlockRef {
  at: number
  size: number
  raw: boolean
  checksumAt: number
}

interface FrameRef {
  independent: boolean
  blockMax: number
  contentSize: number | undefined
  contentChecksumAt: number
  blocks: BlockRef[]
}

export function decompressFrame(
  input: Uint8Array,
  options: FrameDecompressOptions = {},
): Uint8Array {
  const limit = options.maxOutputSize ?? DEFAULT_MAX_OUTPUT
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_OUTPUT_CEILING) {
    throw new Lz4Error('INVALID_ARGUMENT', `lz4 decompressFrame: bad maxOutputSize ${limit}`)
  }
  const { exports, arena } = lz4Module()
  arena.reset()
  const inPtr = arena.put(input)
  const hash = (at: number, len: number) => exports.xxh32(inPtr + at, len, 0) >>> 0
  const frames = parseFrames(input, hash)

  let bound = 0
  for (const f of frames) {
    bound += f.contentSize ?? f.blocks.reduce((n, b) => n + (b.raw ? b.size : f.blockMax), 0)
    if (f.contentSize !== undefined && bound > limit) {
      throw new Lz4Error(
        'OUTPUT_LIMIT',
        `lz4 frame: content size exceeds the limit of ${limit} bytes`,
      )
    }
  }
  const cap = Math.min(bound, limit)
  const out = arena.alloc(cap)
  const outEnd = out + cap
  let op = out

  for (const f of frames) {
    const frameStart = op
    // A frame announcing its size may not decode past it; the caller's limit binds all frames.
    const frameEnd = f.contentSize === undefined ? outEnd : Math.min(outEnd, op + f.contentSize)
    const overflow = (): Lz4Error =>
      f.contentSize !== undefined && frameStart + f.contentSize <= out + limit
        ? new Lz4Error(
            'CONTENT_SIZE',
            `lz4 frame: data exceeds the header's content size ${f.contentSize}`,
          )
        : new Lz4Error('OUTPUT_LIMIT', `lz4 frame: output exceeds the limit of ${limit} bytes`)
    for (const b of f.blocks) {
      if (b.checksumAt >= 0 && hash(b.at, b.size) !== readU32(input, b.checksumAt)) {
        throw new Lz4Error(
          'BLOCK_CHECKSUM',
          `lz4 frame: block checksum mismatch at byte ${b.at - 4}`,
        )
      }
      if (b.raw) {
        if (b.size > frameEnd - op) throw overflow()
        arena.u8().copyWithin(op, inPtr + b.at, inPtr + b.at + b.size)
        op += b.size
        continue
      }
      const room = Math.min(f.blockMax, frameEnd - op)
      const low = f.independent ? op : frameStart
      const n = exports.decompressBlock(inPtr + b.at, b.size, op, room, low)
      if (n === -3 && room === f.blockMax) {
        throw new Lz4Error(
          'BLOCK_TOO_LARGE',
          `lz4 frame: block at byte ${b.at - 4} decodes to more than ${f.blockMax} bytes`,
        )
      }
      if (n === -3) throw overflow()
      if (n < 0) throw blockError(n, `frame block at byte ${b.at - 4}`)
      op += n
    }
    if (f.contentSize !== undefined && op - frameStart !== f.contentSize) {
      throw new Lz4Error(
        'CONTENT_SIZE',
        `lz4 frame: decoded ${op - frameStart} bytes but the header says ${f.contentSize}`,
      )
    }
    if (
      f.contentChecksumAt >= 0 &&
      exports.xxh32(frameStart, op - frameStart, 0) >>> 0 !== readU32(input, f.contentChecksumAt)
    ) {
      throw new Lz4Error('CONTENT_CHECKSUM', 'lz4 frame: content checksum mismatch')
    }
  }
  return arena.take(out, op - out)
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
}

function need(input: Uint8Array, pos: number, n: number, what: string): void {
  if (pos + n > input.length) {
    throw new Lz4Error('TRUNCATED', `lz4 frame: input ends in the ${what} at byte ${pos}`)
  }
}

/** Walk every frame's structure; throws on anything that is not a well-formed frame. */
function parseFrames(input: Uint8Array, hash: (at: number, len: number) => number): FrameRef[] {
  const frames: FrameRef[] = []
  let pos = 0
  if (input.length === 0) throw new Lz4Error('TRUNCATED', 'lz4 frame: empty input')
  while (pos < input.length) {
    need(input, pos, 4, 'magic number')
    const magic = readU32(input, pos)
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(input, pos, 8, 'skippable frame header')
      const size = readU32(input, pos + 4)
      need(input, pos + 8, size, 'skippable frame')
      pos += 8 + size
      continue
    }
    if (magic === LEGACY_MAGIC) {
      throw new Lz4Error('UNSUPPORTED', 'lz4 frame: legacy format (lz4 -l) is not supported')
    }
    if (magic !== FRAME_MAGIC) {
      throw new Lz4Error(
        'BAD_MAGIC',
        `lz4 frame: bad magic number 0x${magic.toString(16)} at byte ${pos}`,
      )
    }
    const frame = parseHeader(input, pos, hash)
    pos = frame.next
    const checksummed = (frame.flg & FLG_BLOCK_CHECKSUM) !== 0
    // Data blocks until the EndMark (a zero block size).
    while (true) {
      need(input, pos, 4, 'block size')
      const word = readU32(input, pos)
      pos += 4
      if (word === 0) break
      const raw = (word & BLOCK_UNCOMPRESSED) !== 0
      const size = (word & ~BLOCK_UNCOMPRESSED) >>> 0
      if (size > frame.ref.blockMax) {
        throw new Lz4Error(
          'BLOCK_TOO_LARGE',
          `lz4 frame: block of ${size} bytes at byte ${pos - 4} exceeds the maximum ${frame.ref.blockMax}`,
        )
      }
      need(input, pos, size + (checksummed ? 4 : 0), 'block data')
      frame.ref.blocks.push({ at: pos, size, raw, checksumAt: checksummed ? pos + size : -1 })
      pos += size + (checksummed ? 4 : 0)
    }
    if (frame.flg & FLG_CONTENT_CHECKSUM) {
      need(input, pos, 4, 'content checksum')
      frame.ref.contentChecksumAt = pos
      pos += 4
    }
    frames.push(frame.ref)
  }
  return frames
}

function parseHeader(
  input: Uint8Array,
  start: number,
  hash: (at: number, len: number) => number,
): { ref: FrameRef; flg: number; next: number } {
  need(input, start, 7, 'frame header')
  const flg = input[start + 4]!
  const bd = input[start + 5]!
  if (flg >> 6 !== 1) {
    throw new Lz4Error(
      'BAD_DESCRIPTOR',
      `lz4 frame: unsupported version ${flg >> 6} at byte ${start + 4}`,
    )
  }
  if (flg & FLG_RESERVED || bd & 0x8f) {
    throw new Lz4Error(
      'BAD_DESCRIPTOR',
      `lz4 frame: reserved descriptor bits set at byte ${start + 4}`,
    )
  }
  const code = (bd >> 4) & 7
  if (code < 4) {
    throw new Lz4Error('BAD_DESCRIPTOR', `lz4 frame: invalid block maximum size code ${code}`)
  }
  let pos = start + 6
  let contentSize: number | undefined
  if (flg & FLG_CONTENT_SIZE) {
    need(input, pos, 9, 'frame header')
    const value = new DataView(input.buffer, input.byteOffset).getBigUint64(pos, true)
    contentSize = value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value)
    pos += 8
  }
  if (flg & FLG_DICT_ID) {
    throw new Lz4Error('UNSUPPORTED', 'lz4 frame: frames needing a dictionary are not supported')
  }
  need(input, pos, 1, 'header checksum')
  const expected = (hash(start + 4, pos - (start + 4)) >>> 8) & 0xff
  if (input[pos] !== expected) {
    throw new Lz4Error('HEADER_CHECKSUM', `lz4 frame: header checksum mismatch at byte ${pos}`)
  }
  return {
    flg,
    next: pos + 1,
    ref: {
      independent: (flg & FLG_BLOCK_INDEPENDENT) !== 0,
      blockMax: BLOCK_SIZES[code as BlockSizeCode],
      contentSize,
      contentChecksumAt: -1,
      blocks: [],
    },
  }
}
