/**
 * Timer negotiation as pure functions (RFC 5880 sec. 6.8.2-6.8.4, 6.8.7), all in
 * microseconds as on the wire, so the session only keeps state and these keep the rules.
 */
import { SLOW_TX_MS } from './constants'

/** sec. 6.8.3: while not Up, bfd.DesiredMinTxInterval is at least one second. */
export function advertisedTxUs(configuredUs: number, up: boolean): number {
  return up ? configuredUs : Math.max(configuredUs, SLOW_TX_MS * 1000)
}

/**
 * sec. 6.8.2/6.8.7: the periodic interval is the larger of our desired minimum TX and the
 * remote's required minimum RX; 0 when the remote asked for no packets at all.
 */
export function txIntervalUs(desiredMinTxUs: number, remoteMinRxUs: number): number {
  if (remoteMinRxUs === 0) return 0
  return Math.max(desiredMinTxUs, remoteMinRxUs)
}

/**
 * sec. 6.8.4 (asynchronous mode): the remote's Detect Mult times the larger of our required
 * minimum RX and the remote's last Desired Min TX. 0 when nothing was received yet.
 */
export function detectionTimeUs(
  remoteDetectMult: number,
  requiredMinRxUs: number,
  remoteDesiredMinTxUs: number,
): number {
  if (remoteDetectMult === 0) return 0
  return remoteDetectMult * Math.max(requiredMinRxUs, remoteDesiredMinTxUs)
}

/**
 * sec. 6.8.7: each interval is reduced by a random 0-25% (75-100% of it), or by 10-25%
 * (75-90%) when bfd.DetectMult is 1, so that packets from many sessions do not align.
 */
export function jitteredMs(intervalUs: number, detectMult: number, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 0.999999)
  const factor = detectMult === 1 ? 0.75 + 0.15 * r : 0.75 + 0.25 * r
  return (intervalUs / 1000) * factor
}
