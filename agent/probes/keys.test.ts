import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '../tunnels/keys'
import { BFD_KEY_INFO, deriveBfdPassword, derivePairKey } from './keys'

describe('derivePairKey', () => {
  it('gives both sites of a pair the same key, and other pairs a different one', () => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    const c = generateKeyPair()
    const ab = derivePairKey({ privateKey: a.privateKey, peerPublicKey: b.publicKey, info: 'x' })
    const ba = derivePairKey({ privateKey: b.privateKey, peerPublicKey: a.publicKey, info: 'x' })
    const ac = derivePairKey({ privateKey: a.privateKey, peerPublicKey: c.publicKey, info: 'x' })
    expect(ab.equals(ba)).toBe(true)
    expect(ab.length).toBe(32)
    expect(ab.equals(ac)).toBe(false)
  })

  it('separates purposes by info string', () => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    const k1 = derivePairKey({ privateKey: a.privateKey, peerPublicKey: b.publicKey, info: 'one' })
    const k2 = derivePairKey({ privateKey: a.privateKey, peerPublicKey: b.publicKey, info: 'two' })
    expect(k1.equals(k2)).toBe(false)
  })

  it('derives a 20-character ASCII BFD password, symmetric', () => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    const p = deriveBfdPassword(a.privateKey, b.publicKey)
    expect(p).toMatch(/^[A-Za-z0-9_-]{20}$/)
    expect(deriveBfdPassword(b.privateKey, a.publicKey)).toBe(p)
    expect(BFD_KEY_INFO).toBe('patronus bfd v1')
  })

  it('rejects malformed and low-order keys', () => {
    const a = generateKeyPair()
    expect(() =>
      derivePairKey({ privateKey: a.privateKey, peerPublicKey: 'nope', info: 'x' }),
    ).toThrow()
    const zero = Buffer.alloc(32).toString('base64')
    expect(() =>
      derivePairKey({ privateKey: a.privateKey, peerPublicKey: zero, info: 'x' }),
    ).toThrow()
  })
})
