/**
 * BFD session parameters (RFC 5880 sec. 6.8.1: bfd.DesiredMinTxInterval,
 * bfd.RequiredMinRxInterval, bfd.DetectMult) in milliseconds, their defaults and their
 * validation against the 32-bit microsecond wire fields (sec. 4.1).
 */

export interface SessionParameters {
  /** bfd.DesiredMinTxInterval once Up (sec. 6.8.1), ms. */
  desiredMinTxMs: number
  /** bfd.RequiredMinRxInterval (sec. 6.8.1), ms. */
  requiredMinRxMs: number
  /** bfd.DetectMult (sec. 6.8.1). */
  detectMult: number
}

/** Lab default: 50 ms x 3 (150 ms detection). */
export const LAB_PARAMETERS: SessionParameters = {
  desiredMinTxMs: 50,
  requiredMinRxMs: 50,
  detectMult: 3,
}
/** Production default: 300 ms x 3 (900 ms detection), gentle on CPU and lossy uplinks. */
export const PRODUCTION_PARAMETERS: SessionParameters = {
  desiredMinTxMs: 300,
  requiredMinRxMs: 300,
  detectMult: 3,
}

export const us = (ms: number): number => Math.round(ms * 1000)

export function definedOnly(p: Partial<SessionParameters>): Partial<SessionParameters> {
  const out: Partial<SessionParameters> = {}
  if (p.desiredMinTxMs !== undefined) out.desiredMinTxMs = p.desiredMinTxMs
  if (p.requiredMinRxMs !== undefined) out.requiredMinRxMs = p.requiredMinRxMs
  if (p.detectMult !== undefined) out.detectMult = p.detectMult
  return out
}

export function checkParameters(p: SessionParameters): SessionParameters {
  // Wire fields are 32-bit microseconds; Required Min RX 0 would mean "send me nothing".
  const okMs = (v: number) => Number.isFinite(v) && v >= 1 && v * 1000 <= 0xffffffff
  if (!okMs(p.desiredMinTxMs)) throw new Error('bfd: desiredMinTxMs out of range')
  if (!okMs(p.requiredMinRxMs)) throw new Error('bfd: requiredMinRxMs out of range')
  if (!Number.isInteger(p.detectMult) || p.detectMult < 1 || p.detectMult > 255) {
    throw new Error('bfd: detectMult is 1-255')
  }
  return p
}
