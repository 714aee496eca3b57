/**
 * Fuzzing of both decoders with fast-check. Every input, random or a mutation of a valid block or
 * frame, must either decode or fail with an Lz4Error: no other exception, no hang (runs are
 * bounded and each decode is linear in its input), and no write outside the output buffer,
 * which the block test checks with canary bytes around the output region in wasm memory.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compressBlock,
  compressFrame,
  decompressBlock,
  decompressFrame,
  Lz4Error,
} from './index.js'
import { lz4Module } from './module.js'
import { mixedData, textData } from './testdata.js'

const CANARY = 0xa5
const GUARD = 256

/** Decode with guard zones before and after the output; report whether they stayed intact. */
function decodeGuarded(block: Uint8Array, cap: number): { result: number; intact: boolean } {
  const { exports, arena } = lz4Module()
  arena.reset()
  const src = arena.put(block)
  const region = arena.alloc(GUARD + cap + GUARD)
  const dst = region + GUARD
  let mem = arena.u8()
  mem.fill(CANARY, region, region + GUARD + cap + GUARD)
  const result = exports.decompressBlock(src, block.length, dst, cap, dst)
  mem = arena.u8()
  const before = mem.subarray(region, dst).every((b) => b === CANARY)
  const after = mem.subarray(dst + cap, dst + cap + GUARD).every((b) => b === CANARY)
  return { result, intact: before && after }
}

/** Apply byte overwrites, then possibly truncate. */
function mutate(base: Uint8Array, edits: [number, number][], cut: number): Uint8Array {
  const out = base.slice(0, Math.max(0, base.length - cut))
  for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value
  return out
}

function decodesOrLz4Error(fn: () => unknown): void {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof Lz4Error)) throw e
  }
}

const validBlock = compressBlock(mixedData(20_000, 11))
const validFrame = compressFrame(mixedData(150_000, 12), {
  blockSize: 64 * 1024,
  blockChecksum: false,
  contentChecksum: false,
})
const checkedFrame = compressFrame(textData(30_000), { blockChecksum: true, contentSize: true })
const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })

describe('lz4 decoder fuzzing', () => {
  it('block decoder: random bytes never escape the output buffer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.integer({ min: 0, max: 5000 }),
        (bytes, cap) => {
          const { result, intact } = decodeGuarded(bytes, cap)
          expect(intact).toBe(true)
          expect(result).toBeLessThanOrEqual(cap)
          expect(result).toBeGreaterThanOrEqual(-3)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('block decoder: mutated valid blocks never escape the output buffer', () => {
    fc.assert(
      fc.property(
        edits,
        fc.nat({ max: 50 }),
        fc.integer({ min: 0, max: 25_000 }),
        (e, cut, cap) => {
          const { result, intact } = decodeGuarded(mutate(validBlock, e, cut), cap)
          expect(intact).toBe(true)
          expect(result).toBeLessThanOrEqual(cap)
        },
      ),
      { numRuns: 1500 },
    )
  })

  it('block API: throws only Lz4Error and respects maxOutputSize', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), fc.nat({ max: 3000 }), (bytes, max) => {
        try {
          expect(decompressBlock(bytes, max).length).toBeLessThanOrEqual(max)
        } catch (e) {
          if (!(e instanceof Lz4Error)) throw e
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('frame decoder: random bytes after a valid magic give data or an Lz4Error', () => {
    const magic = [0x04, 0x22, 0x4d, 0x18]
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, withMagic) => {
        const input = withMagic ? Uint8Array.from([...magic, ...bytes]) : bytes
        decodesOrLz4Error(() => decompressFrame(input, { maxOutputSize: 1 << 20 }))
      }),
      { numRuns: 2000 },
    )
  })

  it('frame decoder: mutated valid frames give data or an Lz4Error', () => {
    fc.assert(
      fc.property(edits, fc.nat({ max: 40 }), fc.boolean(), (e, cut, checked) => {
        const input = mutate(checked ? checkedFrame : validFrame, e, cut)
        decodesOrLz4Error(() => decompressFrame(input, { maxOutputSize: 1 << 20 }))
      }),
      { numRuns: 800 },
    )
  })

  it('frame decoder: checksums catch every single-byte change of a checked frame', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const input = checkedFrame.slice()
        input[at % input.length]! ^= flip
        expect(() => decompressFrame(input)).toThrow(Lz4Error)
      }),
      { numRuns: 400 },
    )
  })
})
