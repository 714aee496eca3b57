/**
 * Route-flap damping for paths, after RFC 2439 (sec. 4.2): every time a path goes down its
 * penalty grows by a fixed amount, and the penalty decays exponentially with a half-life. A
 * path whose penalty passes the suppress threshold is suppressed (not chosen unless nothing
 * else is up) until the penalty decays below the reuse threshold. The penalty is capped so that
 * a path that stops flapping is reused within `maxSuppressMs` (RFC 2439 sec. 4.2, "maximum
 * hold-down time"). RFC 2439 counts in minutes for BGP; paths are probed at 20 Hz and fail over
 * in milliseconds, so the defaults here are in seconds.
 */

export interface DampingSettings {
  /** Penalty added per flap (one up -> down transition). */
  penaltyPerFlap: number
  /** Suppress when the penalty is above this. */
  suppressAbove: number
  /** Reuse a suppressed path once its penalty decays below this. */
  reuseBelow: number
  /** Time for the penalty to halve. */
  halfLifeMs: number
  /** Longest a path stays suppressed after its last flap (sets the penalty ceiling). */
  maxSuppressMs: number
}

export const DEFAULT_DAMPING: DampingSettings = {
  penaltyPerFlap: 1000,
  suppressAbove: 2000,
  reuseBelow: 750,
  halfLifeMs: 15_000,
  maxSuppressMs: 60_000,
}

/** The damping state of one path; all methods take the current time (injected clock). */
export class FlapDamper {
  #penalty = 0
  #at = 0
  #suppressed = false
  readonly #settings: DampingSettings

  constructor(settings: DampingSettings = DEFAULT_DAMPING) {
    this.#settings = settings
  }

  /** The ceiling: a penalty that decays to `reuseBelow` in exactly `maxSuppressMs`. */
  get maxPenalty(): number {
    const s = this.#settings
    return s.reuseBelow * 2 ** (s.maxSuppressMs / s.halfLifeMs)
  }

  /** Decayed penalty at `now`. */
  penalty(now: number): number {
    this.#decay(now)
    return this.#penalty
  }

  /** Record a flap (the path went down) at `now`. */
  flap(now: number): void {
    this.#decay(now)
    this.#penalty = Math.min(this.maxPenalty, this.#penalty + this.#settings.penaltyPerFlap)
    if (this.#penalty > this.#settings.suppressAbove) this.#suppressed = true
  }

  suppressed(now: number): boolean {
    this.#decay(now)
    return this.#suppressed
  }

  #decay(now: number): void {
    const dt = now - this.#at
    if (dt > 0 && this.#penalty > 0) {
      this.#penalty *= 2 ** (-dt / this.#settings.halfLifeMs)
      if (this.#penalty < 1e-6) this.#penalty = 0
    }
    if (now > this.#at) this.#at = now
    if (this.#suppressed && this.#penalty < this.#settings.reuseBelow) this.#suppressed = false
  }
}
