/**
 * Retry pacing. Exponential backoff with a cap so a control-plane outage costs it little
 * load, and jitter on every sleep so thousands of agents that lost the control plane at the
 * same moment do not return at the same moment.
 *
 * Jitter only shortens (a delay d becomes a value in [d * (1 - fraction), d]): a capped
 * backoff then never exceeds its cap, and a heartbeat is never later than its interval, so
 * the control plane's liveness deadline stays meaningful.
 */

export type Random = () => number

export const DEFAULT_JITTER = 0.2

export function jitter(ms: number, random: Random, fraction = DEFAULT_JITTER): number {
  const r = Math.min(1, Math.max(0, random()))
  return Math.round(ms * (1 - fraction * r))
}

export class Backoff {
  private attempt = 0

  constructor(
    readonly minMs = 1_000,
    readonly maxMs = 60_000,
  ) {}

  /** The next delay before jitter: min, 2*min, 4*min, ... capped at max. */
  next(): number {
    // 2^attempt overflows to Infinity long after the cap, and min() handles that too.
    const delay = Math.min(this.maxMs, this.minMs * 2 ** this.attempt)
    this.attempt++
    return delay
  }

  reset(): void {
    this.attempt = 0
  }

  get failures(): number {
    return this.attempt
  }
}
