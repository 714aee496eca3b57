/**
 * WireGuard key forms: base64 (wg(8), the protocol) and hex (the UAPI), plus X25519 key
 * generation with node:crypto so that nothing shells out to `wg genkey`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto'

const KEY_BYTES = 32
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')

export function keyToBytes(base64: string): Buffer {
  const bytes = Buffer.from(base64, 'base64')
  if (bytes.length !== KEY_BYTES || bytes.toString('base64') !== base64) {
    throw new Error('a WireGuard key is 32 bytes in base64')
  }
  return bytes
}

export function base64ToHex(base64: string): string {
  return keyToBytes(base64).toString('hex')
}

export function hexToBase64(hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('a WireGuard key is 64 lowercase hex digits')
  return Buffer.from(hex, 'hex').toString('base64')
}

export function isZeroKey(base64: string): boolean {
  return Buffer.from(base64, 'base64').every((b) => b === 0)
}

export interface WireGuardKeyPair {
  privateKey: string
  publicKey: string
}

export function generateKeyPair(): WireGuardKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519')
  const priv = privateKey.export({ format: 'jwk' }).d
  const pub = publicKey.export({ format: 'jwk' }).x
  if (!priv || !pub) throw new Error('x25519 key export returned no key material')
  return {
    privateKey: Buffer.from(priv, 'base64url').toString('base64'),
    publicKey: Buffer.from(pub, 'base64url').toString('base64'),
  }
}

export function publicKeyOf(privateKeyBase64: string): string {
  // PKCS#8 wrapping of a raw X25519 private key (RFC 8410 sec. 7).
  const der = Buffer.concat([X25519_PKCS8_PREFIX, keyToBytes(privateKeyBase64)])
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  const x = createPublicKey(key).export({ format: 'jwk' }).x
  if (!x) throw new Error('x25519 public key export returned nothing')
  return Buffer.from(x, 'base64url').toString('base64')
}
