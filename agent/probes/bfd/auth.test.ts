import { describe, expect, it } from 'vitest'
import {
  type AuthConfig,
  authSectionFor,
  checkAuth,
  newAuthRxState,
  resolveAuth,
  signInPlace,
} from './auth'
import { decodeControlPacket, encodeControlPacket } from './packet'
import { basePacket } from './testing'

function signed(config: AuthConfig, sequence: number, key?: string) {
  const auth = resolveAuth(key ? { ...config, key } : config)
  const buf = encodeControlPacket(basePacket({ auth: authSectionFor(auth, sequence) }))
  signInPlace(buf, auth)
  const r = decodeControlPacket(buf)
  if (!r.ok) throw new Error(r.reason)
  return { buf, packet: r.packet }
}

describe('auth (RFC 5880 sec. 6.7)', () => {
  for (const mode of [
    'keyed-sha1',
    'meticulous-keyed-sha1',
    'keyed-md5',
    'meticulous-keyed-md5',
  ] as const) {
    const config: AuthConfig = { mode, keyId: 3, key: 'shared-key-0123' }
    it(`${mode}: accepts a good packet and rejects a bad key`, () => {
      const auth = resolveAuth(config)
      const state = newAuthRxState()
      const good = signed(config, 100)
      expect(checkAuth(good.buf, good.packet, auth, state, 0, 1000)).toBeNull()
      expect(state).toMatchObject({ known: true, sequence: 100 })
      const bad = signed(config, 101, 'other-key')
      expect(checkAuth(bad.buf, bad.packet, auth, state, 0, 1000)).toBe('authDigest')
      // A failed packet does not move the window (erratum 7083).
      expect(state.sequence).toBe(100)
    })
  }

  it('meticulous: rejects a replay and an old sequence, accepts the next ones in the window', () => {
    const config: AuthConfig = { mode: 'meticulous-keyed-sha1', keyId: 1, key: 'k' }
    const auth = resolveAuth(config)
    const state = newAuthRxState()
    const p = (seq: number) => signed(config, seq)
    const check = (seq: number) => {
      const { buf, packet } = p(seq)
      return checkAuth(buf, packet, auth, state, 0, 1000)
    }
    expect(check(0xfffffffe)).toBeNull()
    expect(check(0xfffffffe)).toBe('authSequence') // replay
    expect(check(0xfffffff0)).toBe('authSequence') // old
    expect(check(3)).toBeNull() // wraps: +5, within 3 x 3
    expect(check(3 + 10)).toBe('authSequence') // beyond 3 x detect mult
  })

  it('keyed: accepts the same sequence again but not an older one', () => {
    const config: AuthConfig = { mode: 'keyed-sha1', keyId: 1, key: 'k' }
    const auth = resolveAuth(config)
    const state = newAuthRxState()
    const a = signed(config, 50)
    expect(checkAuth(a.buf, a.packet, auth, state, 0, 1000)).toBeNull()
    expect(checkAuth(a.buf, a.packet, auth, state, 0, 1000)).toBeNull()
    const old = signed(config, 49)
    expect(checkAuth(old.buf, old.packet, auth, state, 0, 1000)).toBe('authSequence')
  })

  it('forgets the sequence after 2x the detection time without a good packet', () => {
    const config: AuthConfig = { mode: 'meticulous-keyed-sha1', keyId: 1, key: 'k' }
    const auth = resolveAuth(config)
    const state = newAuthRxState()
    const a = signed(config, 1000)
    expect(checkAuth(a.buf, a.packet, auth, state, 0, 300)).toBeNull()
    const far = signed(config, 5000)
    expect(checkAuth(far.buf, far.packet, auth, state, 200, 300)).toBe('authSequence')
    expect(checkAuth(far.buf, far.packet, auth, state, 301, 300)).toBeNull()
  })

  it('rejects a wrong key id, a wrong type, and a missing section', () => {
    const auth = resolveAuth({ mode: 'keyed-sha1', keyId: 1, key: 'k' })
    const otherId = signed({ mode: 'keyed-sha1', keyId: 2, key: 'k' }, 1)
    expect(checkAuth(otherId.buf, otherId.packet, auth, newAuthRxState(), 0, 1)).toBe('authKeyId')
    const md5 = signed({ mode: 'keyed-md5', keyId: 1, key: 'k' }, 1)
    expect(checkAuth(md5.buf, md5.packet, auth, newAuthRxState(), 0, 1)).toBe('authTypeMismatch')
    const plain = encodeControlPacket(basePacket())
    const r = decodeControlPacket(plain)
    if (!r.ok) throw new Error('decode')
    expect(checkAuth(plain, r.packet, auth, newAuthRxState(), 0, 1)).toBe('authMissing')
  })

  it('simple password: exact match only', () => {
    const auth = resolveAuth({ mode: 'simple', keyId: 1, key: 'pw' })
    const good = signed({ mode: 'simple', keyId: 1, key: 'pw' }, 0)
    expect(checkAuth(good.buf, good.packet, auth, newAuthRxState(), 0, 1)).toBeNull()
    const bad = signed({ mode: 'simple', keyId: 1, key: 'px' }, 0)
    expect(checkAuth(bad.buf, bad.packet, auth, newAuthRxState(), 0, 1)).toBe('authDigest')
  })

  it('refuses keys of the wrong size', () => {
    expect(() => resolveAuth({ mode: 'keyed-sha1', keyId: 1, key: 'x'.repeat(21) })).toThrow()
    expect(() => resolveAuth({ mode: 'keyed-md5', keyId: 1, key: 'x'.repeat(17) })).toThrow()
    expect(() => resolveAuth({ mode: 'keyed-sha1', keyId: 1, key: '' })).toThrow()
  })
})
