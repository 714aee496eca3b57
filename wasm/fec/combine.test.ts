import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { linearCombination, ShardSlots } from './combine.js'
import { FecError } from './fec.js'
import { mul } from './gf256.js'
import { cauchyParity } from './matrix.js'
import { referenceEncoder } from './reference.js'

/** The combination one byte at a time with the field's own multiply: the independent reference. */
function reference(coefficients: number[], shards: Uint8Array[], len: number): Uint8Array {
  const out = new Uint8Array(len)
  shards.forEach((s, i) => {
    for (let p = 0; p < s.length; p++) out[p]! ^= mul(coefficients[i]!, s[p]!)
  })
  return out
}

function bytes(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n))
}

describe('linearCombination', () => {
  it.each([
    [1, 1],
    [3, 15],
    [5, 16],
    [7, 33],
    [32, 1356],
    [64, 1000],
  ])('%i shards of up to %i bytes, different lengths, match the byte-wise reference', (n, len) => {
    const shards = Array.from({ length: n }, (_, i) => bytes(i === 0 ? len : 1 + ((i * 37) % len)))
    const coefficients = Array.from({ length: n }, () => Math.floor(Math.random() * 256))
    const out = linearCombination(coefficients, shards, new Uint8Array(len))
    expect(Buffer.from(out).toString('hex')).toBe(
      Buffer.from(reference(coefficients, shards, len)).toString('hex'),
    )
  })

  it('gives the Reed-Solomon parity for Cauchy coefficients (same field as reference.ts)', () => {
    const k = 6
    const data = Array.from({ length: k }, () => bytes(100))
    const row = [...cauchyParity(k, 1)]
    const parity = referenceEncoder(k, 1)(data)[0]!
    expect([...linearCombination(row, data, new Uint8Array(100))]).toEqual([...parity])
  })

  it('may write over one of its shards, and a shard times 1 is itself', () => {
    const a = bytes(64)
    const b = bytes(40)
    const expected = reference([1, 9], [a, b], 64)
    linearCombination([1, 9], [a, b], a)
    expect([...a]).toEqual([...expected])
    expect([...linearCombination([1], [b], new Uint8Array(40))]).toEqual([...b])
  })

  it('refuses mismatched coefficients and shards longer than the output', () => {
    expect(() => linearCombination([1, 2], [bytes(4)], new Uint8Array(4))).toThrow(FecError)
    expect(() => linearCombination([1], [bytes(5)], new Uint8Array(4))).toThrow(FecError)
  })
})

describe('ShardSlots', () => {
  it('combines slots written once, zero-padding shorter shards, after rewrites', () => {
    const slots = new ShardSlots(8, 300)
    const shards = Array.from({ length: 8 }, (_, i) => bytes(50 + i * 30))
    shards.forEach((s, i) => {
      slots.write(i, s)
    })
    // A slot rewritten with a shorter shard must not keep the old tail.
    shards[3] = bytes(10)
    slots.write(3, shards[3])
    const coefficients = [3, 0, 255, 7, 1, 90, 2, 200]
    const order = [0, 1, 2, 3, 4, 5, 6, 7]
    const out = new Uint8Array(270)
    slots.combine(coefficients, order, out)
    expect([...out]).toEqual([...reference(coefficients, shards, 270)])
    // Any subset, in any order.
    slots.combine([5, 6], [6, 2], out.subarray(0, 260))
    expect([...out.subarray(0, 260)]).toEqual([...reference([5, 6], [shards[6]!, shards[2]!], 260)])
  })

  it('writes a length prefix before the body', () => {
    const slots = new ShardSlots(2, 20)
    slots.writePrefixed(1, 0x8005, new Uint8Array([1, 2, 3, 4, 5]))
    const out = new Uint8Array(20)
    slots.combine([1], [1], out)
    expect([...out.subarray(0, 8)]).toEqual([0x80, 5, 1, 2, 3, 4, 5, 0])
  })

  it('refuses slots out of range and oversized shards', () => {
    const slots = new ShardSlots(2, 16)
    expect(() => slots.write(2, bytes(4))).toThrow(FecError)
    expect(() => slots.write(0, bytes(17))).toThrow(FecError)
    expect(() => slots.combine([1], [5], new Uint8Array(4))).toThrow(FecError)
  })
})
