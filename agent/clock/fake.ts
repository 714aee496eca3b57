/**
 * A manual clock for tests: time moves only when the test says so. `sleep` calls are
 * recorded (`sleeps`, in ms) so tests can assert backoff and jitter, and `advanceToNext`
 * jumps straight to the earliest pending timer, so a minute of backoff takes no real time.
 */
import type { Clock } from './clock'

interface Timer {
  at: number
  resolve: () => void
}

export class FakeClock implements Clock {
  /** Every requested sleep duration, in call order. */
  readonly sleeps: number[] = []
  private timers: Timer[] = []

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms)
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const timer: Timer = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          this.timers = this.timers.filter((t) => t !== timer)
          signal?.removeEventListener('abort', timer.resolve)
          resolve()
        },
      }
      this.timers.push(timer)
      signal?.addEventListener('abort', timer.resolve, { once: true })
    })
  }

  /** Number of sleeps not yet due or aborted. */
  get pending(): number {
    return this.timers.length
  }

  /** Moves time forward by `ms`, waking every timer that falls due. */
  advance(ms: number): void {
    this.current += ms
    for (const timer of [...this.timers].sort((a, b) => a.at - b.at)) {
      if (timer.at <= this.current) timer.resolve()
    }
  }

  /** Jumps to the earliest pending timer and wakes it; false when none is pending. */
  advanceToNext(): boolean {
    const next = [...this.timers].sort((a, b) => a.at - b.at)[0]
    if (!next) return false
    this.current = Math.max(this.current, next.at)
    next.resolve()
    return true
  }
}

/** Lets pending promise chains and I/O callbacks run (real event-loop turns, no time). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r))
}
