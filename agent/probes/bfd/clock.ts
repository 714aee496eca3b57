/**
 * Time for BFD, injected (docs/house-style.md rule 5): `now()` in milliseconds, one-shot timers.
 * The agent's Clock has `sleep(ms, signal)`; timersFromClock() turns it into cancellable
 * timers, so production runs on systemClock and tests on ManualTimers (testing.ts), which
 * fires each timer at its own instant rather than at the end of an advance.
 */
import type { Clock } from '../../clock'

export interface TimerHandle {
  cancel(): void
}

export interface BfdClock {
  now(): number
  /** Calls `fn` once after `ms`, unless cancelled first. */
  setTimer(ms: number, fn: () => void): TimerHandle
}

export function timersFromClock(clock: Clock): BfdClock {
  return {
    now: () => clock.now(),
    setTimer(ms, fn) {
      const ac = new AbortController()
      void clock.sleep(ms, ac.signal).then(() => {
        if (!ac.signal.aborted) fn()
      })
      return { cancel: () => ac.abort() }
    },
  }
}
