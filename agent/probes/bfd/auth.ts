/**
 * BFD authentication (RFC 5880 sec. 6.7): signing outgoing packets and checking incoming
 * ones for Simple Password (sec. 6.7.2), Keyed / Meticulous Keyed MD5 (sec. 6.7.3) and
 * Keyed / Meticulous Keyed SHA1 (sec. 6.7.4). The receive state (bfd.RcvAuthSeq,
 * bfd.AuthSeqKnown) changes only after the digest matched (RFC 5880 erratum 7083).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { AuthType } from './constants'
import type { DropReason } from './counters'
import { type AuthSection, type ControlPacket, digestLength } from './packet'

export type AuthMode =
  | 'simple'
  | 'keyed-md5'
  | 'meticulous-keyed-md5'
  | 'keyed-sha1'
  | 'meticulous-keyed-sha1'

const MODE_TYPES: Record<AuthMode, AuthType> = {
  simple: AuthType.SimplePassword,
  'keyed-md5': AuthType.KeyedMd5,
  'meticulous-keyed-md5': AuthType.MeticulousKeyedMd5,
  'keyed-sha1': AuthType.KeyedSha1,
  'meticulous-keyed-sha1': AuthType.MeticulousKeyedSha1,
}

export interface AuthConfig {
  mode: AuthMode
  /** Auth Key ID (sec. 4.2), 0-255; both ends must agree. */
  keyId: number
  /** 1-16 bytes (simple, MD5) or 1-20 bytes (SHA1); see agent/probes/keys.ts. */
  key: Buffer | string
}

/** A validated auth configuration, ready for the session. */
export interface ResolvedAuth {
  type: AuthType
  keyId: number
  key: Buffer
  meticulous: boolean
}

export function resolveAuth(config: AuthConfig): ResolvedAuth {
  const type = MODE_TYPES[config.mode]
  if (type === undefined) throw new Error(`bfd auth: unknown mode ${config.mode}`)
  const key = typeof config.key === 'string' ? Buffer.from(config.key, 'utf8') : config.key
  const max = type === AuthType.KeyedSha1 || type === AuthType.MeticulousKeyedSha1 ? 20 : 16
  if (key.length < 1 || key.length > max) {
    throw new Error(`bfd auth: a ${config.mode} key is 1-${max} bytes, got ${key.length}`)
  }
  if (!Number.isInteger(config.keyId) || config.keyId < 0 || config.keyId > 255) {
    throw new Error('bfd auth: key id is 0-255')
  }
  return {
    type,
    keyId: config.keyId,
    key,
    meticulous: type === AuthType.MeticulousKeyedMd5 || type === AuthType.MeticulousKeyedSha1,
  }
}

function hashName(type: AuthType): 'md5' | 'sha1' {
  return type === AuthType.KeyedSha1 || type === AuthType.MeticulousKeyedSha1 ? 'sha1' : 'md5'
}

function paddedKey(auth: ResolvedAuth): Buffer {
  const out = Buffer.alloc(digestLength(auth.type))
  auth.key.copy(out)
  return out
}

/** The auth section to encode: for keyed types the digest field holds the padded key. */
export function authSectionFor(auth: ResolvedAuth, sequence: number): AuthSection {
  if (auth.type === AuthType.SimplePassword) {
    return { type: auth.type, keyId: auth.keyId, password: auth.key }
  }
  return { type: auth.type, keyId: auth.keyId, sequence: sequence >>> 0, digest: paddedKey(auth) }
}

/** Replaces the key in an encoded keyed packet by the hash of the packet (sec. 6.7.3/4). */
export function signInPlace(buf: Buffer, auth: ResolvedAuth): void {
  if (auth.type === AuthType.SimplePassword) return
  const digest = createHash(hashName(auth.type)).update(buf).digest()
  digest.copy(buf, 32)
}

/** bfd.RcvAuthSeq / bfd.AuthSeqKnown plus when a packet last passed. */
export interface AuthRxState {
  known: boolean
  sequence: number
  lastAcceptedAt: number
}

export function newAuthRxState(): AuthRxState {
  return { known: false, sequence: 0, lastAcceptedAt: 0 }
}

/**
 * Checks one received packet's auth section against the session's auth; null when it
 * passes (and `state` was advanced), else the drop reason. `raw` holds at least
 * `packet.length` bytes. `staleAfterMs` is 2x the Detection Time: after that long without
 * an accepted packet the sequence is forgotten (bfd.AuthSeqKnown = 0, sec. 6.7.3).
 */
export function checkAuth(
  raw: Uint8Array,
  packet: ControlPacket,
  auth: ResolvedAuth,
  state: AuthRxState,
  now: number,
  staleAfterMs: number,
): DropReason | null {
  const section = packet.auth
  if (!section) return 'authMissing'
  if (section.type !== auth.type) return 'authTypeMismatch'
  if (section.keyId !== auth.keyId) return 'authKeyId'
  if (section.type === AuthType.SimplePassword) {
    // sec. 6.7.2: the password must match exactly.
    const ok =
      section.password.length === auth.key.length && timingSafeEqual(section.password, auth.key)
    if (!ok) return 'authDigest'
    state.lastAcceptedAt = now
    return null
  }
  if (state.known && now - state.lastAcceptedAt > staleAfterMs) state.known = false
  if (state.known) {
    // sec. 6.7.3/6.7.4: circular 32-bit window of 3 x Detect Mult; meticulous needs an
    // increase of at least one, keyed accepts the same number again.
    const diff = (section.sequence - state.sequence) >>> 0
    const max = 3 * packet.detectMult
    if (auth.meticulous ? diff < 1 || diff > max : diff > max) return 'authSequence'
  }
  const copy = Buffer.from(raw.subarray(0, packet.length))
  paddedKey(auth).copy(copy, 32)
  const expected = createHash(hashName(auth.type)).update(copy).digest()
  if (!timingSafeEqual(expected, section.digest)) return 'authDigest'
  state.known = true
  state.sequence = section.sequence
  state.lastAcceptedAt = now
  return null
}
