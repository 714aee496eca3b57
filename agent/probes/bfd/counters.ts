/**
 * Why packets were dropped, counted (RFC 5880 sec. 6.8.6 says "discard"; we also count, so
 * an operator can tell a key mismatch from a misbehaving peer). The receive path never
 * throws: every rejection is one of these reasons and one increment.
 */

export const DROP_REASONS = [
  /** Fewer bytes than the mandatory section, or than the Length field says. */
  'truncated',
  /** More bytes than any BFD control packet can have. */
  'oversized',
  'badVersion',
  /** Length field below 24 (26 with the A bit), or an auth section past it. */
  'badLength',
  'zeroDetectMult',
  'multipoint',
  'zeroMyDiscriminator',
  /** Your Discriminator is zero but State is Up or Init (sec. 6.8.6). */
  'zeroYourDiscriminator',
  /** Your Discriminator names no session here. */
  'noSession',
  /** No session is configured for the sender's address. */
  'unknownPeer',
  /** The session's configured peer is a different address than the sender. */
  'addressMismatch',
  /** A bit set but the session uses no auth (sec. 6.8.6). */
  'authUnexpected',
  /** A bit clear but the session uses auth (sec. 6.8.6). */
  'authMissing',
  /** Auth type differs from the session's, or is unknown. */
  'authTypeMismatch',
  /** Auth Len wrong for the type (sec. 4.2-4.4). */
  'authBadLength',
  'authKeyId',
  /** Sequence number outside the window (sec. 6.7.3, 6.7.4): a replay or an old packet. */
  'authSequence',
  /** Digest or password does not match the key. */
  'authDigest',
  /** The session is AdminDown: packets are discarded after the header is recorded. */
  'adminDown',
] as const
export type DropReason = (typeof DROP_REASONS)[number]

export interface BfdCounters {
  received: number
  accepted: number
  sent: number
  sendErrors: number
  /** A state listener threw while a packet was handled; the packet was still processed. */
  receiveErrors: number
  dropped: Record<DropReason, number>
}

export function createCounters(): BfdCounters {
  const dropped = {} as Record<DropReason, number>
  for (const r of DROP_REASONS) dropped[r] = 0
  return { received: 0, accepted: 0, sent: 0, sendErrors: 0, receiveErrors: 0, dropped }
}

export function totalDropped(c: BfdCounters): number {
  let n = 0
  for (const r of DROP_REASONS) n += c.dropped[r]
  return n
}
