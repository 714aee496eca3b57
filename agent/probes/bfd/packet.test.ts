import { describe, expect, it } from 'vitest'
import { AuthType, Diag, State } from './constants'
import { type DecodeResult, decodeControlPacket, encodeControlPacket } from './packet'
import { basePacket } from './testing'

function reason(r: DecodeResult): string | undefined {
  return r.ok ? undefined : r.reason
}

describe('control packet codec (RFC 5880 sec. 4.1)', () => {
  it('round-trips every field', () => {
    const input = basePacket({
      diag: Diag.ControlDetectionTimeExpired,
      state: State.Up,
      poll: true,
      controlPlaneIndependent: true,
      yourDiscriminator: 0xfffffffe,
      detectMult: 255,
    })
    const buf = encodeControlPacket(input)
    expect(buf.length).toBe(24)
    // Version 1 in the top 3 bits, diag 1 below.
    expect(buf[0]).toBe(0x21)
    const r = decodeControlPacket(buf)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.packet).toMatchObject({ ...input, version: 1, length: 24 })
  })

  it('round-trips a SHA1 auth section (sec. 4.4)', () => {
    const digest = Buffer.alloc(20, 7)
    const buf = encodeControlPacket(
      basePacket({ auth: { type: AuthType.KeyedSha1, keyId: 9, sequence: 0xdeadbeef, digest } }),
    )
    expect(buf.length).toBe(52)
    expect(buf[1]! & 0x04).toBe(0x04)
    const r = decodeControlPacket(buf)
    expect(r.ok && r.packet.auth).toEqual({
      type: AuthType.KeyedSha1,
      keyId: 9,
      sequence: 0xdeadbeef,
      digest,
    })
  })

  it('round-trips a simple password section (sec. 4.3)', () => {
    const password = Buffer.from('secret')
    const buf = encodeControlPacket(
      basePacket({ auth: { type: AuthType.SimplePassword, keyId: 1, password } }),
    )
    const r = decodeControlPacket(buf)
    expect(r.ok && r.packet.auth).toEqual({ type: AuthType.SimplePassword, keyId: 1, password })
  })

  it('accepts trailing bytes past the Length field (encapsulation padding)', () => {
    const buf = Buffer.concat([encodeControlPacket(basePacket()), Buffer.alloc(8)])
    expect(decodeControlPacket(buf).ok).toBe(true)
  })

  describe('sec. 6.8.6 reception checks', () => {
    const good = () => encodeControlPacket(basePacket())
    it('drops a wrong version', () => {
      const b = good()
      b[0] = (2 << 5) | (b[0]! & 0x1f)
      expect(reason(decodeControlPacket(b))).toBe('badVersion')
    })
    it('drops fewer than 24 bytes', () => {
      expect(reason(decodeControlPacket(good().subarray(0, 23)))).toBe('truncated')
      expect(reason(decodeControlPacket(new Uint8Array(0)))).toBe('truncated')
    })
    it('drops a Length field larger than the datagram', () => {
      const b = good()
      b[3] = 30
      expect(reason(decodeControlPacket(b))).toBe('truncated')
    })
    it('drops a Length field below 24, or below 26 with the A bit', () => {
      const b = good()
      b[3] = 20
      expect(reason(decodeControlPacket(b))).toBe('badLength')
      const a = Buffer.concat([good(), Buffer.alloc(1)])
      a[1] = a[1]! | 0x04
      a[3] = 25
      expect(reason(decodeControlPacket(a))).toBe('badLength')
    })
    it('drops an oversized datagram', () => {
      expect(reason(decodeControlPacket(Buffer.alloc(256)))).toBe('oversized')
    })
    it('drops detect mult 0', () => {
      const b = good()
      b[2] = 0
      expect(reason(decodeControlPacket(b))).toBe('zeroDetectMult')
    })
    it('drops the multipoint bit', () => {
      const b = good()
      b[1] = b[1]! | 0x01
      expect(reason(decodeControlPacket(b))).toBe('multipoint')
    })
    it('drops my discriminator 0', () => {
      expect(
        reason(decodeControlPacket(encodeControlPacket(basePacket({ myDiscriminator: 0 })))),
      ).toBe('zeroMyDiscriminator')
    })
    it('drops your discriminator 0 unless the state is Down or AdminDown', () => {
      for (const state of [State.Init, State.Up]) {
        const b = encodeControlPacket(basePacket({ state }))
        expect(reason(decodeControlPacket(b))).toBe('zeroYourDiscriminator')
      }
      for (const state of [State.Down, State.AdminDown]) {
        expect(decodeControlPacket(encodeControlPacket(basePacket({ state }))).ok).toBe(true)
      }
    })
    it('drops a wrong auth length and an unknown auth type', () => {
      const b = encodeControlPacket(
        basePacket({
          auth: { type: AuthType.KeyedSha1, keyId: 1, sequence: 1, digest: Buffer.alloc(20) },
        }),
      )
      const wrongLen = Buffer.from(b)
      wrongLen[25] = 24
      expect(reason(decodeControlPacket(wrongLen))).toBe('authBadLength')
      const unknown = Buffer.from(b)
      unknown[24] = 9
      expect(reason(decodeControlPacket(unknown))).toBe('authTypeMismatch')
      const pastLength = Buffer.from(b)
      pastLength[25] = 40
      expect(reason(decodeControlPacket(pastLength))).toBe('badLength')
    })
  })
})
