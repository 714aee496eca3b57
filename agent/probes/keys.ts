/**
 * Per-site-pair probe keys, derived without any exchange (docs/architecture.md, path model):
 * X25519 between this site's WireGuard private key and the peer's public key gives a
 * secret only the two sites know; HKDF-SHA256 turns it into keys, one per purpose (the
 * `info` string), salted with both public keys sorted so that both ends derive the same
 * bytes. BFD (agent/probes/bfd) and the quality probes share this module; a new purpose is
 * a new info string, never a reuse of another purpose's key.
 */
import { createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto'
import { keyToBytes, publicKeyOf } from '../tunnels/keys'

export const BFD_KEY_INFO = 'patronus bfd v1'
export const QUALITY_KEY_INFO = 'patronus quality probe v1'

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')

export interface PairKeyInput {
  /** This site's WireGuard private key, base64. Never logged. */
  privateKey: string
  /** The peer site's WireGuard public key, base64. */
  peerPublicKey: string
  /** Purpose of the key, e.g. BFD_KEY_INFO. */
  info: string
  /** Output length in bytes (default 32). */
  length?: number
}

/** The same bytes on both sites of a pair, for one purpose. Throws on a malformed key. */
export function derivePairKey(input: PairKeyInput): Buffer {
  const ownPublic = keyToBytes(publicKeyOf(input.privateKey))
  const peerPublic = keyToBytes(input.peerPublicKey)
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, keyToBytes(input.privateKey)]),
    format: 'der',
    type: 'pkcs8',
  })
  const publicKey = createPublicKey({
    key: Buffer.concat([X25519_SPKI_PREFIX, peerPublic]),
    format: 'der',
    type: 'spki',
  })
  const shared = diffieHellman({ privateKey, publicKey })
  // An all-zero result means a low-order peer key (RFC 7748 sec. 6.1): refuse it.
  if (shared.every((b) => b === 0)) throw new Error('derive pair key: peer public key is invalid')
  const [a, b] = [ownPublic, peerPublic].sort(Buffer.compare) as [Buffer, Buffer]
  const salt = Buffer.concat([a, b])
  return Buffer.from(hkdfSync('sha256', shared, salt, input.info, input.length ?? 32))
}

/**
 * The BFD key of a site pair as a 20-character ASCII password (RFC 5880 sec. 4.3: a keyed
 * SHA1 key is up to 20 bytes). Text, not raw bytes, because routers we interoperate with
 * (BIRD's `password "..."`) take BFD keys as strings; base64url keeps 120 bits of the HKDF
 * output.
 */
export function deriveBfdPassword(privateKey: string, peerPublicKey: string): string {
  return derivePairKey({ privateKey, peerPublicKey, info: BFD_KEY_INFO, length: 15 }).toString(
    'base64url',
  )
}

/** The quality probes' key of a site pair (agent/probes/quality), 32 bytes. */
export function deriveQualityKey(privateKey: string, peerPublicKey: string): Buffer {
  return derivePairKey({ privateKey, peerPublicKey, info: QUALITY_KEY_INFO })
}
