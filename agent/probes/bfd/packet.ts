/**
 * The BFD control packet codec (RFC 5880 sec. 4.1-4.4) and the reception checks that need
 * no session (sec. 6.8.6, up to "select the session"). decodeControlPacket() never throws:
 * any input gives either a packet or a drop reason, in time linear in at most 255 bytes.
 */
import {
  AuthType,
  BFD_VERSION,
  type Diag,
  HEADER_LENGTH,
  MAX_PACKET_LENGTH,
  MD5_AUTH_LEN,
  MD5_DIGEST_LEN,
  MIN_AUTH_LENGTH,
  SHA1_AUTH_LEN,
  SHA1_DIGEST_LEN,
  State,
} from './constants'
import type { DropReason } from './counters'

export type AuthSection =
  | { type: typeof AuthType.SimplePassword; keyId: number; password: Buffer }
  | {
      type: Exclude<AuthType, typeof AuthType.SimplePassword>
      keyId: number
      sequence: number
      /** The digest as received (or, when encoding, the key; see auth.ts). */
      digest: Buffer
    }

export interface ControlPacket {
  version: number
  diag: Diag | number
  state: State
  poll: boolean
  final: boolean
  controlPlaneIndependent: boolean
  demand: boolean
  multipoint: boolean
  detectMult: number
  /** The Length field. */
  length: number
  myDiscriminator: number
  yourDiscriminator: number
  /** Wire intervals, microseconds (sec. 4.1). */
  desiredMinTxUs: number
  requiredMinRxUs: number
  requiredMinEchoRxUs: number
  auth?: AuthSection
}

export type DecodeResult = { ok: true; packet: ControlPacket } | { ok: false; reason: DropReason }

const drop = (reason: DropReason): DecodeResult => ({ ok: false, reason })

function expectedAuthLen(type: number): number | undefined {
  switch (type) {
    case AuthType.KeyedMd5:
    case AuthType.MeticulousKeyedMd5:
      return MD5_AUTH_LEN
    case AuthType.KeyedSha1:
    case AuthType.MeticulousKeyedSha1:
      return SHA1_AUTH_LEN
    default:
      return undefined
  }
}

export function digestLength(type: AuthType): number {
  return type === AuthType.KeyedSha1 || type === AuthType.MeticulousKeyedSha1
    ? SHA1_DIGEST_LEN
    : MD5_DIGEST_LEN
}

/** Parses and applies the session-independent checks of RFC 5880 sec. 6.8.6. */
export function decodeControlPacket(buf: Uint8Array): DecodeResult {
  if (buf.length > MAX_PACKET_LENGTH) return drop('oversized')
  if (buf.length < HEADER_LENGTH) return drop('truncated')
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const b0 = b[0]!
  const b1 = b[1]!
  const version = b0 >> 5
  // sec. 6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
  if (version !== BFD_VERSION) return drop('badVersion')
  const authPresent = (b1 & 0x04) !== 0
  const length = b[3]!
  // sec. 6.8.6: Length below 24 (26 with the A bit) is discarded...
  if (length < (authPresent ? MIN_AUTH_LENGTH : HEADER_LENGTH)) return drop('badLength')
  // ...and so is a Length greater than the payload of the encapsulating protocol.
  if (length > b.length) return drop('truncated')
  const detectMult = b[2]!
  // sec. 6.8.6: "If the Detect Mult field is zero, the packet MUST be discarded."
  if (detectMult === 0) return drop('zeroDetectMult')
  // sec. 6.8.6: "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
  const multipoint = (b1 & 0x01) !== 0
  if (multipoint) return drop('multipoint')
  const myDiscriminator = b.readUInt32BE(4)
  // sec. 6.8.6: "If the My Discriminator field is zero, the packet MUST be discarded."
  if (myDiscriminator === 0) return drop('zeroMyDiscriminator')
  const yourDiscriminator = b.readUInt32BE(8)
  const state = (b1 >> 6) as State
  // sec. 6.8.6: Your Discriminator zero is only valid in Down or AdminDown.
  if (yourDiscriminator === 0 && state !== State.Down && state !== State.AdminDown) {
    return drop('zeroYourDiscriminator')
  }
  const packet: ControlPacket = {
    version,
    diag: b0 & 0x1f,
    state,
    poll: (b1 & 0x20) !== 0,
    final: (b1 & 0x10) !== 0,
    controlPlaneIndependent: (b1 & 0x08) !== 0,
    demand: (b1 & 0x02) !== 0,
    multipoint,
    detectMult,
    length,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxUs: b.readUInt32BE(12),
    requiredMinRxUs: b.readUInt32BE(16),
    requiredMinEchoRxUs: b.readUInt32BE(20),
  }
  if (!authPresent) return { ok: true, packet }

  // sec. 4.2: Auth Type, Auth Len (covering the whole section), then type-specific data.
  const authType = b[24]!
  const authLen = b[25]!
  if (HEADER_LENGTH + authLen > length) return drop('badLength')
  if (authType === AuthType.SimplePassword) {
    // sec. 4.3: type, len, key id, then a 1-16 byte password.
    if (authLen < 4 || authLen > 19) return drop('authBadLength')
    if (HEADER_LENGTH + authLen !== length) return drop('badLength')
    packet.auth = {
      type: AuthType.SimplePassword,
      keyId: b[26]!,
      password: Buffer.from(b.subarray(27, HEADER_LENGTH + authLen)),
    }
    return { ok: true, packet }
  }
  const expected = expectedAuthLen(authType)
  if (expected === undefined) return drop('authTypeMismatch')
  if (authLen !== expected) return drop('authBadLength')
  if (HEADER_LENGTH + authLen !== length) return drop('badLength')
  const type = authType as Exclude<AuthType, typeof AuthType.SimplePassword>
  packet.auth = {
    type,
    keyId: b[26]!,
    sequence: b.readUInt32BE(28),
    digest: Buffer.from(b.subarray(32, 32 + digestLength(type))),
  }
  return { ok: true, packet }
}

export type EncodeInput = Omit<ControlPacket, 'version' | 'length' | 'auth'> & {
  auth?: AuthSection
}

/**
 * Writes a control packet. For keyed auth the `digest` of `auth` is written as given (the
 * key, zero-padded): auth.ts then hashes the packet and overwrites it (sec. 6.7.3, 6.7.4).
 */
export function encodeControlPacket(p: EncodeInput): Buffer {
  let authLen = 0
  if (p.auth) {
    authLen =
      p.auth.type === AuthType.SimplePassword
        ? 3 + p.auth.password.length
        : (expectedAuthLen(p.auth.type) ?? 0)
  }
  const length = HEADER_LENGTH + authLen
  const b = Buffer.alloc(length)
  b[0] = (BFD_VERSION << 5) | (p.diag & 0x1f)
  b[1] =
    ((p.state & 0x03) << 6) |
    (p.poll ? 0x20 : 0) |
    (p.final ? 0x10 : 0) |
    (p.controlPlaneIndependent ? 0x08 : 0) |
    (p.auth ? 0x04 : 0) |
    (p.demand ? 0x02 : 0) |
    (p.multipoint ? 0x01 : 0)
  b[2] = p.detectMult & 0xff
  b[3] = length
  b.writeUInt32BE(p.myDiscriminator >>> 0, 4)
  b.writeUInt32BE(p.yourDiscriminator >>> 0, 8)
  b.writeUInt32BE(p.desiredMinTxUs >>> 0, 12)
  b.writeUInt32BE(p.requiredMinRxUs >>> 0, 16)
  b.writeUInt32BE(p.requiredMinEchoRxUs >>> 0, 20)
  if (p.auth) {
    b[24] = p.auth.type
    b[25] = authLen
    b[26] = p.auth.keyId & 0xff
    if (p.auth.type === AuthType.SimplePassword) {
      p.auth.password.copy(b, 27)
    } else {
      b.writeUInt32BE(p.auth.sequence >>> 0, 28)
      p.auth.digest.copy(b, 32, 0, digestLength(p.auth.type))
    }
  }
  return b
}
