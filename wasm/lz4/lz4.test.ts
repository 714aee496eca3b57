import { describe, expect, it } from 'vitest'
import {
  compressBlock,
  compressFrame,
  decompressBlock,
  decompressFrame,
  Lz4Error,
  type Lz4ErrorCode,
} from './index.js'
import { mixedData, randomData, textData } from './testdata.js'

function expectCode(fn: () => unknown, code: Lz4ErrorCode): void {
  let caught: unknown
  try {
    fn()
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(Lz4Error)
  expect((caught as Lz4Error).code).toBe(code)
}

/** Byte equality without vitest's slow element-wise diff of large typed arrays. */
function expectSame(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length)
  expect(Buffer.compare(actual, expected)).toBe(0)
}

const sizes = [0, 1, 12, 13, 14, 100, 4096, 65535, 65536, 65547, 65548, 300_000]

describe('lz4 block', () => {
  it.each(sizes)('round-trips random, text and mixed data of %i bytes', (n) => {
    for (const data of [randomData(n, n + 1), textData(n, n + 2), mixedData(n, n + 3)]) {
      const block = compressBlock(data)
      expectSame(decompressBlock(block, n), data)
    }
  })

  it('compresses text and bounds the growth of random data', () => {
    const text = textData(1 << 20)
    expect(compressBlock(text).length).toBeLessThan(text.length / 4)
    const noise = randomData(1 << 20)
    expect(compressBlock(noise).length).toBeLessThanOrEqual(noise.length + noise.length / 255 + 16)
    const zeros = new Uint8Array(1 << 20)
    expect(compressBlock(zeros).length).toBeLessThan(5000)
  })

  it('decodes hand-made sequences including overlapping matches', () => {
    // "ab" then a match of offset 2 and length 4+6: "ab" repeated, then 5 literal bytes.
    const block = Uint8Array.of(0x26, 0x61, 0x62, 0x02, 0x00, 0x50, 0x31, 0x32, 0x33, 0x34, 0x35)
    expect(new TextDecoder().decode(decompressBlock(block, 100))).toBe('abababababab12345')
  })

  it('rejects malformed blocks with typed errors', () => {
    expectCode(() => decompressBlock(new Uint8Array(0), 10), 'TRUNCATED')
    expectCode(() => decompressBlock(Uint8Array.of(0x50, 1, 2), 10), 'TRUNCATED')
    expectCode(() => decompressBlock(Uint8Array.of(0xf0, 255, 255), 1000), 'TRUNCATED')
    expectCode(() => decompressBlock(Uint8Array.of(0x10, 0x61, 0x00), 10), 'TRUNCATED')
    expectCode(() => decompressBlock(Uint8Array.of(0x10, 0x61, 0x00, 0x00, 0x00), 10), 'BAD_OFFSET')
    expectCode(() => decompressBlock(Uint8Array.of(0x10, 0x61, 0x02, 0x00, 0x00), 10), 'BAD_OFFSET')
    expectCode(
      () => decompressBlock(Uint8Array.of(0x10, 0x61, 0x01, 0x00, 0x00), 4),
      'OUTPUT_LIMIT',
    )
    const data = textData(10_000)
    expectCode(() => decompressBlock(compressBlock(data), 9_999), 'OUTPUT_LIMIT')
    expectCode(() => decompressBlock(Uint8Array.of(0), -1), 'INVALID_ARGUMENT')
  })
})

describe('lz4 frame', () => {
  it.each([64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024] as const)(
    'round-trips with %i-byte blocks and every checksum option',
    (blockSize) => {
      const data = mixedData(600_000, blockSize)
      for (const blockChecksum of [false, true]) {
        for (const contentChecksum of [false, true]) {
          for (const contentSize of [false, true]) {
            const frame = compressFrame(data, {
              blockSize,
              blockChecksum,
              contentChecksum,
              contentSize,
            })
            expectSame(decompressFrame(frame), data)
          }
        }
      }
    },
  )

  it('round-trips empty and incompressible input, storing raw blocks', () => {
    expect(decompressFrame(compressFrame(new Uint8Array(0)))).toEqual(new Uint8Array(0))
    const noise = randomData(200_000)
    const frame = compressFrame(noise, { blockSize: 64 * 1024 })
    expect(frame.length).toBeLessThan(noise.length + 64)
    expectSame(decompressFrame(frame), noise)
  })

  it('decodes concatenated frames and skips skippable frames', () => {
    const a = textData(5000, 1)
    const b = randomData(3000, 2)
    const skippable = Uint8Array.of(0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9)
    const joined = new Uint8Array([...compressFrame(a), ...skippable, ...compressFrame(b)])
    expectSame(decompressFrame(joined), new Uint8Array([...a, ...b]))
  })

  it('caps the output size', () => {
    const frame = compressFrame(new Uint8Array(1 << 20))
    expectCode(() => decompressFrame(frame, { maxOutputSize: 1000 }), 'OUTPUT_LIMIT')
    const sized = compressFrame(new Uint8Array(1 << 20), { contentSize: true })
    expectCode(() => decompressFrame(sized, { maxOutputSize: 1000 }), 'OUTPUT_LIMIT')
    expect(decompressFrame(frame, { maxOutputSize: 1 << 20 }).length).toBe(1 << 20)
  })

  it('rejects malformed frames with typed errors', () => {
    const data = textData(100_000)
    const good = compressFrame(data, { blockChecksum: true, contentSize: true })
    const corrupt = (at: number, value: number) => {
      const copy = good.slice()
      copy[at] = value
      return copy
    }
    expectCode(() => decompressFrame(new Uint8Array(0)), 'TRUNCATED')
    expectCode(() => decompressFrame(good.subarray(0, 5)), 'TRUNCATED')
    expectCode(() => decompressFrame(good.subarray(0, good.length - 1)), 'TRUNCATED')
    expectCode(() => decompressFrame(corrupt(0, 0x05)), 'BAD_MAGIC')
    expectCode(() => decompressFrame(corrupt(4, good[4]! ^ 0x80)), 'BAD_DESCRIPTOR')
    expectCode(() => decompressFrame(corrupt(4, good[4]! | 0x02)), 'BAD_DESCRIPTOR')
    expectCode(() => decompressFrame(corrupt(5, 0x30)), 'BAD_DESCRIPTOR')
    expectCode(() => decompressFrame(corrupt(14, good[14]! ^ 1)), 'HEADER_CHECKSUM')
    expectCode(() => decompressFrame(corrupt(30, good[30]! ^ 1)), 'BLOCK_CHECKSUM')
    expectCode(() => decompressFrame(corrupt(6, good[6]! ^ 1)), 'HEADER_CHECKSUM')
    expectCode(
      () => decompressFrame(corrupt(good.length - 1, good.at(-1)! ^ 1)),
      'CONTENT_CHECKSUM',
    )
    expectCode(
      () => decompressFrame(Uint8Array.of(0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0)),
      'UNSUPPORTED',
    )
    // A block size field larger than the 64 KiB maximum the descriptor announces.
    const small = compressFrame(data, { blockSize: 64 * 1024, contentChecksum: false })
    const big = small.slice()
    big[7 + 2] = 0x02
    expectCode(() => decompressFrame(big), 'BLOCK_TOO_LARGE')
  })

  it('detects a wrong content size in the header', () => {
    const data = textData(1000)
    const frame = compressFrame(data, { contentSize: true, contentChecksum: false })
    // Rewrite the content size to 999 and fix the header checksum accordingly.
    const wrong = frame.slice()
    wrong[6] = 999 & 0xff
    wrong[7] = 999 >> 8
    const fixed = compressFrame(new Uint8Array(999), { contentSize: true, contentChecksum: false })
    wrong[14] = fixed[14]!
    expectCode(() => decompressFrame(wrong), 'CONTENT_SIZE')
  })
})
