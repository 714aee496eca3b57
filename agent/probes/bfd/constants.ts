/**
 * BFD protocol numbers (RFC 5880 sec. 4.1, 4.2; RFC 5881 sec. 4; RFC 5883 sec. 5). Intervals
 * on the wire are microseconds; the rest of this folder speaks milliseconds and converts
 * at the codec.
 */

/** Session states, the Sta field (RFC 5880 sec. 4.1). */
export const State = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const
export type State = (typeof State)[keyof typeof State]
export const STATE_NAMES = ['AdminDown', 'Down', 'Init', 'Up'] as const
export type StateName = (typeof STATE_NAMES)[number]

/** Diagnostic codes, the Diag field (RFC 5880 sec. 4.1). */
export const Diag = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const
export type Diag = (typeof Diag)[keyof typeof Diag]

/** Auth Type field (RFC 5880 sec. 4.2). */
export const AuthType = {
  SimplePassword: 1,
  KeyedMd5: 2,
  MeticulousKeyedMd5: 3,
  KeyedSha1: 4,
  MeticulousKeyedSha1: 5,
} as const
export type AuthType = (typeof AuthType)[keyof typeof AuthType]

export const BFD_VERSION = 1
/** Mandatory section (RFC 5880 sec. 4.1). */
export const HEADER_LENGTH = 24
/** Mandatory section plus the smallest auth section (type, len, key id + 1 byte). */
export const MIN_AUTH_LENGTH = 26
/** The Length field is one byte: no valid control packet is longer. */
export const MAX_PACKET_LENGTH = 255

/** RFC 5880 sec. 4.3 (MD5, 24 bytes) and sec. 4.4 (SHA1, 28 bytes). */
export const MD5_AUTH_LEN = 24
export const SHA1_AUTH_LEN = 28
export const MD5_DIGEST_LEN = 16
export const SHA1_DIGEST_LEN = 20

/** RFC 5881 sec. 4 (single hop) and RFC 5883 sec. 5 (multihop). */
export const SINGLE_HOP_PORT = 3784
export const MULTIHOP_PORT = 4784
/** RFC 5881 sec. 4: the source port range. */
export const SOURCE_PORT_MIN = 49152
export const SOURCE_PORT_MAX = 65535

/** RFC 5880 sec. 6.8.3: at least one second between packets while the session is not Up. */
export const SLOW_TX_MS = 1000
