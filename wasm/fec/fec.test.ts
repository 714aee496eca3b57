import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createReedSolomon, FecError } from './fec.js'
import { mul } from './gf256.js'
import { cauchyParity, invert, multiply } from './matrix.js'
import { referenceEncoder } from './reference.js'

function randomShards(count: number, len: number): Uint8Array[] {
  return Array.from({ length: count }, () => new Uint8Array(randomBytes(len)))
}

/** Every subset of {0..n-1} with at most `max` elements. */
function* subsets(n: number, max: number, from = 0, acc: number[] = []): Generator<number[]> {
  yield acc
  if (acc.length === max) return
  for (let i = from; i < n; i++) yield* subsets(n, max, i + 1, [...acc, i])
}

/** Erase the shards in `lost`, reconstruct, and check every shard comes back exactly. */
function checkRecovery(k: number, m: number, all: Uint8Array[], lost: number[]): void {
  const rs = createReedSolomon(k, m)
  const present = all.map((_, i) => !lost.includes(i))
  const damaged = all.map((s, i) => (present[i] ? s : undefined))
  const rebuilt = rs.reconstruct(damaged, present)
  rebuilt.forEach((s, i) => {
    if (Buffer.compare(s, all[i]!) !== 0) {
      throw new Error(`k=${k} m=${m} lost=[${lost}] shard ${i} differs`)
    }
  })
}

describe('GF(256) and matrices', () => {
  it('multiplication is commutative and every nonzero element has an inverse', () => {
    for (let a = 1; a < 256; a++) {
      expect(mul(a, 7)).toBe(mul(7, a))
      const row = Array.from({ length: 256 }, (_, b) => mul(a, b))
      expect(new Set(row).size).toBe(256)
    }
  })

  it('inverts the Cauchy matrix to the identity', () => {
    const c = cauchyParity(5, 5)
    const product = multiply(c, invert(c, 5), 5, 5, 5)
    expect([...product]).toEqual([...new Uint8Array(25).map((_, i) => (i % 6 === 0 ? 1 : 0))])
  })
})

describe('reed-solomon encode', () => {
  it.each([
    [1, 1, 1],
    [3, 2, 15],
    [10, 4, 1024],
    [10, 4, 1037],
    [6, 4, 48],
    [20, 4, 333],
    [17, 7, 64],
    [200, 55, 100],
  ])('k=%i m=%i len=%i matches the plain TypeScript encoder', (k, m, len) => {
    const data = randomShards(k, len)
    const parity = createReedSolomon(k, m).encode(data)
    const expected = referenceEncoder(k, m)(data)
    expect(parity.map((p) => Buffer.from(p).toString('hex'))).toEqual(
      expected.map((p) => Buffer.from(p).toString('hex')),
    )
  })

  it('writes parity in place when given k + m shards', () => {
    const rs = createReedSolomon(4, 2)
    const shards = [...randomShards(4, 48), new Uint8Array(48), new Uint8Array(48)]
    const parity = rs.encode(shards)
    expect(parity[0]).toBe(shards[4])
    expect(shards[5]).toEqual(rs.encode(shards.slice(0, 4))[1])
    expect(shards[5]!.some((b) => b !== 0)).toBe(true)
  })
})

describe('reed-solomon reconstruct', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [6, 4],
    [8, 3],
    [5, 6],
  ])('k=%i m=%i: every pattern of up to m lost shards recovers exactly', (k, m) => {
    const rs = createReedSolomon(k, m)
    for (const len of [1, 16, 45]) {
      const data = randomShards(k, len)
      const all = [...data, ...rs.encode(data)]
      let patterns = 0
      for (const lost of subsets(k + m, m)) {
        checkRecovery(k, m, all, lost)
        patterns++
      }
      expect(patterns).toBeGreaterThan(k + m)
    }
  })

  it.each([
    [10, 4, 1024],
    [20, 4, 4096 + 7],
    [64, 16, 200],
    [128, 64, 33],
    [200, 55, 64],
  ])('k=%i m=%i len=%i: random patterns of m lost shards recover exactly', (k, m, len) => {
    const rs = createReedSolomon(k, m)
    const data = randomShards(k, len)
    const all = [...data, ...rs.encode(data)]
    for (let trial = 0; trial < 12; trial++) {
      const order = [...all.keys()].sort(() => Math.random() - 0.5)
      const lost = order.slice(0, trial === 0 ? m : 1 + Math.floor(Math.random() * m))
      checkRecovery(k, m, all, lost)
    }
  })

  it('fills missing shards given as buffers in place', () => {
    const rs = createReedSolomon(3, 2)
    const data = randomShards(3, 20)
    const all = [...data, ...rs.encode(data)]
    const hole = new Uint8Array(20)
    const out = rs.reconstruct(
      [all[0], hole, all[2], undefined, all[4]],
      [true, false, true, false, true],
    )
    expect(out[1]).toBe(hole)
    expect(hole).toEqual(all[1])
    expect(out[3]).toEqual(all[3])
  })

  it('fails clearly when more than m shards are lost', () => {
    const rs = createReedSolomon(4, 2)
    const data = randomShards(4, 32)
    const all = [...data, ...rs.encode(data)]
    const present = [true, false, true, false, true, false]
    const call = () => rs.reconstruct(all, present)
    expect(call).toThrow(FecError)
    expect(call).toThrow(/3 shards lost but only 2 can be recovered/)
    try {
      call()
    } catch (e) {
      expect((e as FecError).code).toBe('TOO_FEW_SHARDS')
    }
  })
})

describe('reed-solomon misuse', () => {
  it('rejects shards of unequal length', () => {
    const rs = createReedSolomon(3, 2)
    const shards = [new Uint8Array(8), new Uint8Array(8), new Uint8Array(9)]
    expect(() => rs.encode(shards)).toThrow(/shard 2 has length 9, expected 8/)
    const all = [...randomShards(3, 8), ...randomShards(2, 8)]
    all[4] = new Uint8Array(7)
    expect(() => rs.reconstruct(all, [true, true, true, true, true])).toThrowError(
      expect.objectContaining({ code: 'SHARD_SIZE' }),
    )
    expect(() =>
      rs.reconstruct(
        [all[0], all[1], all[2], new Uint8Array(3), undefined],
        [true, true, true, false, false],
      ),
    ).toThrowError(expect.objectContaining({ code: 'SHARD_SIZE' }))
  })

  it('rejects impossible parameters and wrong shard counts', () => {
    expect(() => createReedSolomon(200, 56)).toThrowError(
      expect.objectContaining({ code: 'INVALID_PARAMS' }),
    )
    expect(() => createReedSolomon(0, 2)).toThrow(FecError)
    expect(() => createReedSolomon(3, 2).encode(randomShards(4, 8))).toThrow(
      /expected 3 or 5 shards/,
    )
  })
})
