import { describe, expect, it } from 'vitest'
import {
  encodeOptimizerPacket,
  OPTIMIZER_HEADER_LENGTH,
  OPTIMIZER_MAX_WINDOW,
  OPTIMIZER_OUTER_OVERHEAD,
  OPTIMIZER_SHARD_PREFIX,
  OPTIMIZER_TUN_MTU,
  type OptimizerPacket,
  optimizerTunMtu,
  parseOptimizerPacket,
  WIREGUARD_MTU,
} from './optimizer'

const data: OptimizerPacket = {
  type: 'data',
  compressed: true,
  session: 0xdeadbeef,
  block: 0x01020304,
  k: 25,
  m: 5,
  index: 7,
  payload: new Uint8Array([1, 2, 3, 4, 5]),
}

function mutate(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice()
  out[at] = value
  return out
}

describe('optimizer wire format', () => {
  it('encodes the documented header byte by byte', () => {
    const bytes = encodeOptimizerPacket(data)
    expect([...bytes.subarray(0, OPTIMIZER_HEADER_LENGTH)]).toEqual([
      0x50, 0x4f, 1, 1, 1, 25, 5, 7, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
    ])
    expect([...bytes.subarray(OPTIMIZER_HEADER_LENGTH)]).toEqual([1, 2, 3, 4, 5])
  })

  it('parses what it encodes (data and parity)', () => {
    const parsed = parseOptimizerPacket(encodeOptimizerPacket(data))
    expect(parsed.ok && { ...parsed.packet, payload: [...parsed.packet.payload] }).toEqual({
      ...data,
      payload: [1, 2, 3, 4, 5],
    })
    const parity = { ...data, type: 'parity' as const, compressed: false, k: 3, m: 2, index: 4 }
    const p = parseOptimizerPacket(encodeOptimizerPacket(parity))
    expect(p.ok && p.packet.type).toBe('parity')
    expect(p.ok && [p.packet.k, p.packet.m, p.packet.index]).toEqual([3, 2, 4])
  })

  it('names the reason for each malformed datagram', () => {
    const ok = encodeOptimizerPacket(data)
    const parity = encodeOptimizerPacket({
      ...data,
      type: 'parity',
      compressed: false,
      k: 3,
      m: 2,
      index: 3,
    })
    const cases: [Uint8Array, string][] = [
      [ok.subarray(0, 15), 'truncated'],
      [ok.subarray(0, OPTIMIZER_HEADER_LENGTH), 'truncated'],
      [mutate(ok, 0, 0x51), 'bad_magic'],
      [mutate(ok, 2, 2), 'bad_version'],
      [mutate(ok, 3, 5), 'bad_type'],
      [mutate(ok, 4, 0x02), 'malformed'], // unknown flag
      [mutate(ok, 5, 0), 'malformed'], // k = 0
      [mutate(ok, 5, 33), 'malformed'], // k > 32
      [mutate(ok, 6, 17), 'malformed'], // m > 16
      [mutate(ok, 7, 25), 'malformed'], // data index >= k
      [mutate(parity, 4, 1), 'malformed'], // compressed parity
      [mutate(parity, 7, 2), 'malformed'], // parity index < k
      [mutate(parity, 7, 5), 'malformed'], // parity index >= k + m
      [mutate(parity, 6, 0), 'malformed'], // parity with m = 0
      [parity.subarray(0, OPTIMIZER_HEADER_LENGTH + OPTIMIZER_SHARD_PREFIX), 'truncated'],
      [
        encodeOptimizerPacket({ ...data, payload: new Uint8Array(OPTIMIZER_TUN_MTU + 1) }),
        'oversized',
      ],
    ]
    for (const [bytes, reason] of cases) {
      expect(parseOptimizerPacket(bytes), reason).toEqual({ ok: false, reason })
    }
  })

  it('accepts a parity shard 2 bytes longer than the largest packet, not more', () => {
    const parity = (len: number) =>
      encodeOptimizerPacket({
        ...data,
        type: 'parity',
        compressed: false,
        k: 1,
        m: 1,
        index: 1,
        payload: new Uint8Array(len),
      })
    expect(parseOptimizerPacket(parity(OPTIMIZER_TUN_MTU + OPTIMIZER_SHARD_PREFIX)).ok).toBe(true)
    expect(parseOptimizerPacket(parity(OPTIMIZER_TUN_MTU + OPTIMIZER_SHARD_PREFIX + 1))).toEqual({
      ok: false,
      reason: 'oversized',
    })
  })

  it('sizes the TUN MTU so the largest parity datagram fits the WireGuard MTU', () => {
    expect(OPTIMIZER_TUN_MTU).toBe(1354)
    expect(optimizerTunMtu(WIREGUARD_MTU)).toBe(OPTIMIZER_TUN_MTU)
    expect(
      OPTIMIZER_OUTER_OVERHEAD +
        OPTIMIZER_HEADER_LENGTH +
        OPTIMIZER_SHARD_PREFIX +
        OPTIMIZER_TUN_MTU,
    ).toBe(WIREGUARD_MTU)
    // Still >= 1280 (IPv6's minimum link MTU) for the default tunnel.
    expect(OPTIMIZER_TUN_MTU).toBeGreaterThanOrEqual(1280)
  })

  it('reads session and block as unsigned 32-bit numbers', () => {
    const p = parseOptimizerPacket(
      encodeOptimizerPacket({ ...data, session: 0xffffffff, block: 0x80000000 }),
    )
    expect(p.ok && [p.packet.session, p.packet.block]).toEqual([0xffffffff, 0x80000000])
  })

  it('encodes and parses sliding-window source and repair packets byte by byte', () => {
    const source = encodeOptimizerPacket({
      type: 'source',
      compressed: true,
      session: 0xdeadbeef,
      block: 0x01020304,
      k: 0,
      m: 0,
      index: 0,
      payload: new Uint8Array([9, 8, 7]),
    })
    expect([...source.subarray(0, OPTIMIZER_HEADER_LENGTH)]).toEqual([
      0x50, 0x4f, 1, 3, 1, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
    ])
    const s = parseOptimizerPacket(source)
    expect(s.ok && [s.packet.type, s.packet.compressed, s.packet.block]).toEqual([
      'source',
      true,
      0x01020304,
    ])
    const repair = encodeOptimizerPacket({
      type: 'repair',
      compressed: false,
      session: 7,
      block: 100,
      k: 32,
      m: 0,
      index: 0,
      payload: new Uint8Array(40),
    })
    expect([...repair.subarray(0, OPTIMIZER_HEADER_LENGTH)]).toEqual([
      0x50, 0x4f, 1, 4, 0, 32, 0, 0, 0, 0, 0, 7, 0, 0, 0, 100,
    ])
    const r = parseOptimizerPacket(repair)
    expect(r.ok && [r.packet.type, r.packet.block, r.packet.k]).toEqual(['repair', 100, 32])
    const cases: [Uint8Array, string][] = [
      [mutate(source, 4, 2), 'malformed'], // unknown flag
      [mutate(source, 5, 1), 'malformed'], // source with a window
      [mutate(source, 7, 1), 'malformed'], // reserved byte
      [source.subarray(0, OPTIMIZER_HEADER_LENGTH), 'truncated'],
      [mutate(repair, 4, 1), 'malformed'], // compressed repair
      [mutate(repair, 5, 0), 'malformed'], // empty window
      [mutate(repair, 5, OPTIMIZER_MAX_WINDOW + 1), 'malformed'],
      [mutate(repair, 6, 1), 'malformed'], // reserved byte
      [mutate(mutate(mutate(mutate(repair, 12, 255), 13, 255), 14, 255), 15, 250), 'malformed'],
      [repair.subarray(0, OPTIMIZER_HEADER_LENGTH + OPTIMIZER_SHARD_PREFIX), 'truncated'],
      [
        encodeOptimizerPacket({
          type: 'repair',
          compressed: false,
          session: 1,
          block: 0,
          k: 1,
          m: 0,
          index: 0,
          payload: new Uint8Array(OPTIMIZER_TUN_MTU + OPTIMIZER_SHARD_PREFIX + 1),
        }),
        'oversized',
      ],
    ]
    for (const [bytes, reason] of cases) {
      expect(parseOptimizerPacket(bytes), reason).toEqual({ ok: false, reason })
    }
  })
})
