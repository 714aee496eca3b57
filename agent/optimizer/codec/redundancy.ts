/**
 * Adaptive FEC redundancy for one path: the parity per block (m of k) follows the loss the
 * path monitor measures. No parity on a clean path; from 5% to 20% overhead as loss rises
 * (at k = 25, m = 1, 3, 4, 5). Each level is entered at the loss where the level below would
 * leave more than 0.1% of a full block's packets unrecovered (binomial, docs/wanopt.md).
 * Hysteresis so it does not flap: a step up is taken at once (loss hurts
 * now), a step down only after the loss has stayed below half the step's threshold for
 * `holdDownMs` (default 10 s).
 */
import { type Clock, systemClock } from '../../clock'
import { DEFAULT_K } from './defaults'

/** Overhead levels (parity / data) and the loss at which each is entered. */
export const REDUNDANCY_LEVELS: readonly { overhead: number; lossAtLeast: number }[] = [
  { overhead: 0, lossAtLeast: 0 },
  { overhead: 0.05, lossAtLeast: 0.001 },
  { overhead: 0.1, lossAtLeast: 0.006 },
  { overhead: 0.15, lossAtLeast: 0.025 },
  { overhead: 0.2, lossAtLeast: 0.04 },
]

/** A level is left downward once loss is below this fraction of its entry threshold. */
const LEAVE_FRACTION = 0.5

export interface RedundancyControllerConfig {
  k?: number
  clock?: Clock
  holdDownMs?: number
}

export class RedundancyController {
  readonly k: number
  readonly holdDownMs: number
  readonly #clock: Clock
  #level = 0
  /** Since when loss has been low enough to step down (undefined: it is not). */
  #lowSince: number | undefined

  constructor(config: RedundancyControllerConfig = {}) {
    this.k = config.k ?? DEFAULT_K
    this.holdDownMs = config.holdDownMs ?? 10_000
    this.#clock = config.clock ?? systemClock
  }

  /** Current overhead level (0 = none). */
  get overhead(): number {
    return REDUNDANCY_LEVELS[this.#level]!.overhead
  }

  /** Parity packets per full block at the current level. */
  get m(): number {
    return parityFor(this.overhead, this.k)
  }

  /** Feeds a loss measurement (0..1); returns m to use. Non-numbers are ignored. */
  update(lossRatio: number): number {
    if (!Number.isFinite(lossRatio)) return this.m
    const target = levelFor(lossRatio)
    if (target > this.#level) {
      this.#level = target
      this.#lowSince = undefined
    } else if (
      this.#level > 0 &&
      lossRatio < REDUNDANCY_LEVELS[this.#level]!.lossAtLeast * LEAVE_FRACTION
    ) {
      const now = this.#clock.now()
      if (this.#lowSince === undefined) this.#lowSince = now
      else if (now - this.#lowSince >= this.holdDownMs) {
        // One step at a time, the hold restarting, so a brief lull does not drop all parity.
        this.#level--
        this.#lowSince = now
      }
    } else {
      this.#lowSince = undefined
    }
    return this.m
  }
}

function levelFor(loss: number): number {
  let level = 0
  REDUNDANCY_LEVELS.forEach((l, i) => {
    if (loss >= l.lossAtLeast) level = i
  })
  return level
}

/**
 * Parity per block of k for an overhead: rounded to the nearest packet, at least one when there
 * is any overhead, and never above 20% of k when k allows one (k < 5 gets one, more than 20%).
 */
export function parityFor(overhead: number, k: number): number {
  if (overhead <= 0) return 0
  const cap = Math.max(1, Math.floor(k * 0.2 + 1e-9))
  return Math.min(cap, Math.max(1, Math.round(overhead * k)))
}
