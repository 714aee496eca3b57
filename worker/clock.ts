/** Time, injected so that services and tests agree on "now" (epoch milliseconds). */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
