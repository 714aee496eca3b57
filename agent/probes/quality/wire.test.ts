import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ReplayWindow } from './replay'
import {
  DROP_REASONS,
  decodeProbe,
  encodeProbe,
  PROBE_LENGTH,
  type ProbePacket,
  precheckProbe,
} from './wire'

const KEY = new Uint8Array(32).fill(7)
const OTHER = new Uint8Array(32).fill(8)
const REQUEST: ProbePacket = {
  type: 'request',
  senderSlot: 1,
  receiverSlot: 2,
  session: 0xdead_beef,
  sequence: 42,
  t1: 1_767_225_600_000_123n,
  t2: 0n,
}

describe('quality probe wire format v1', () => {
  it('round-trips requests and replies, 60 bytes, version 1 first', () => {
    const bytes = encodeProbe(REQUEST, KEY)
    expect(bytes.length).toBe(PROBE_LENGTH)
    expect(bytes[0]).toBe(1)
    expect(decodeProbe(bytes, KEY)).toEqual({ ok: true, packet: REQUEST })
    const reply = { ...REQUEST, type: 'reply' as const, t2: 1_767_225_600_010_000n }
    expect(decodeProbe(encodeProbe(reply, KEY), KEY)).toEqual({ ok: true, packet: reply })
  })

  it('drops each kind of bad packet with its reason', () => {
    const good = encodeProbe(REQUEST, KEY)
    const mutate = (i: number, v: number) => {
      const b = good.slice()
      b[i] = v
      return b
    }
    const grown = new Uint8Array(PROBE_LENGTH + 1)
    grown.set(good)
    const reqWithT2 = mutate(27, 1)
    const cases: [Uint8Array, Uint8Array | undefined, string][] = [
      [good.subarray(0, 59), KEY, 'truncated'],
      [new Uint8Array(0), KEY, 'truncated'],
      [grown, KEY, 'oversized'],
      [new Uint8Array(65_507), KEY, 'oversized'],
      [mutate(0, 2), KEY, 'bad_version'],
      [mutate(1, 3), KEY, 'bad_type'],
      [mutate(2, 16), KEY, 'malformed'],
      [mutate(3, 255), KEY, 'malformed'],
      [reqWithT2, KEY, 'malformed'],
      [good, undefined, 'unknown_peer'],
      [good, OTHER, 'bad_tag'],
      [mutate(11, 43), KEY, 'bad_tag'], // sequence 42 -> 43,
      [mutate(59, good[59]! ^ 1), KEY, 'bad_tag'],
    ]
    for (const [bytes, key, reason] of cases) {
      expect(decodeProbe(bytes, key)).toEqual({ ok: false, reason })
    }
  })

  it('fuzz: never throws, and accepts only what the key signed', () => {
    const valid = encodeProbe(REQUEST, KEY)
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ minLength: PROBE_LENGTH, maxLength: PROBE_LENGTH }),
      // Valid packets with a few bytes flipped.
      fc
        .array(fc.tuple(fc.nat(PROBE_LENGTH - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        })
        .map((flips) => {
          const b = valid.slice()
          for (const [i, x] of flips) b[i] = b[i]! ^ x
          return b
        }),
    )
    fc.assert(
      fc.property(anyBytes, fc.boolean(), (bytes, withKey) => {
        const result = decodeProbe(bytes, withKey ? KEY : undefined)
        const pre = precheckProbe(bytes)
        if (result.ok) {
          // Only the untouched, signed packet can pass.
          expect(withKey).toBe(true)
          expect(Buffer.from(bytes).equals(Buffer.from(valid))).toBe(true)
        } else {
          expect(DROP_REASONS).toContain(result.reason)
          if (!pre.ok) expect(result.reason).toBe(pre.reason)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('replay window: each sequence once, nothing older than 63 behind the highest', () => {
    const w = new ReplayWindow()
    expect(w.accept(100)).toBe(true)
    expect(w.accept(100)).toBe(false)
    expect(w.accept(99)).toBe(true) // reordered, inside the window
    expect(w.accept(99)).toBe(false)
    expect(w.accept(37)).toBe(true) // 63 behind
    expect(w.accept(36)).toBe(false) // 64 behind: too old
    expect(w.accept(1000)).toBe(true)
    expect(w.accept(100)).toBe(false)
    expect(w.accept(999)).toBe(true)
  })
})
