/** Property tests of the parser: no input makes it throw or run long (RFC 5880 sec. 6.8.6). */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AuthType, State } from './constants'
import { DROP_REASONS } from './counters'
import { decodeControlPacket, encodeControlPacket } from './packet'
import { basePacket } from './testing'

function checkDecode(bytes: Uint8Array): void {
  const started = performance.now()
  const r = decodeControlPacket(bytes)
  expect(performance.now() - started).toBeLessThan(50)
  if (!r.ok) expect(DROP_REASONS).toContain(r.reason)
  else {
    expect(r.packet.version).toBe(1)
    expect(r.packet.length).toBeLessThanOrEqual(bytes.length)
    expect(r.packet.detectMult).toBeGreaterThan(0)
    expect(r.packet.myDiscriminator).not.toBe(0)
  }
}

const validPackets = fc
  .record({
    state: fc.constantFrom(State.AdminDown, State.Down, State.Init, State.Up),
    my: fc.integer({ min: 1, max: 0xffffffff }),
    your: fc.integer({ min: 1, max: 0xffffffff }),
    mult: fc.integer({ min: 1, max: 255 }),
    auth: fc.constantFrom('none', 'sha1', 'md5', 'simple'),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
  })
  .map((r) =>
    encodeControlPacket(
      basePacket({
        state: r.state,
        myDiscriminator: r.my,
        yourDiscriminator: r.your,
        detectMult: r.mult,
        ...(r.auth === 'sha1'
          ? {
              auth: {
                type: AuthType.MeticulousKeyedSha1,
                keyId: 1,
                sequence: r.seq,
                digest: Buffer.alloc(20),
              },
            }
          : r.auth === 'md5'
            ? {
                auth: {
                  type: AuthType.KeyedMd5,
                  keyId: 1,
                  sequence: r.seq,
                  digest: Buffer.alloc(16),
                },
              }
            : r.auth === 'simple'
              ? { auth: { type: AuthType.SimplePassword, keyId: 1, password: Buffer.from('pw') } }
              : {}),
      }),
    ),
  )

describe('control packet parser fuzz', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (bytes) => {
        checkDecode(bytes)
      }),
      { numRuns: 3000 },
    )
  })

  it('decodes every valid packet it encoded', () => {
    fc.assert(
      fc.property(validPackets, (buf) => {
        expect(decodeControlPacket(buf).ok).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on mutated valid packets (bit flips, truncation, extension)', () => {
    const mutation = fc.record({
      flips: fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), {
        maxLength: 6,
      }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      extra: fc.uint8Array({ maxLength: 40 }),
      setLength: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    })
    fc.assert(
      fc.property(validPackets, mutation, (buf, m) => {
        let b = Buffer.from(buf)
        for (const f of m.flips) {
          const i = f.at % b.length
          b[i] = b[i]! ^ (1 << f.bit)
        }
        if (m.setLength !== undefined) b[3] = m.setLength
        if (m.cut !== undefined) b = b.subarray(0, m.cut % (b.length + 1))
        checkDecode(Buffer.concat([b, m.extra]))
        checkDecode(b)
      }),
      { numRuns: 3000 },
    )
  })
})
