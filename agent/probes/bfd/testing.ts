/**
 * Test helpers for the BFD folder: a baseline control packet and a manual timer clock in
 * which time moves only when a test says so, and each timer fires at its own instant.
 */
import type { BfdClock, TimerHandle } from './clock'
import { Diag, State } from './constants'
import type { EncodeInput } from './packet'

export function basePacket(over: Partial<EncodeInput> = {}): EncodeInput {
  return {
    diag: Diag.None,
    state: State.Down,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMult: 3,
    myDiscriminator: 0x11223344,
    yourDiscriminator: 0,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 50_000,
    requiredMinEchoRxUs: 0,
    ...over,
  }
}

interface ManualTimer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

export class ManualTimers implements BfdClock {
  private current: number
  private seq = 0
  private timers: ManualTimer[] = []

  constructor(start = 1_000_000) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const t: ManualTimer = {
      at: this.current + Math.max(0, ms),
      seq: this.seq++,
      fn,
      cancelled: false,
    }
    this.timers.push(t)
    return {
      cancel: () => {
        t.cancelled = true
      },
    }
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length
  }

  /** Moves time forward by `ms`, firing due timers in order at their own instants. */
  advance(ms: number): void {
    const end = this.current + ms
    for (let i = 0; i < 1_000_000; i++) {
      this.timers = this.timers.filter((t) => !t.cancelled)
      const next = this.timers
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!next) break
      this.timers = this.timers.filter((t) => t !== next)
      this.current = Math.max(this.current, next.at)
      next.fn()
    }
    this.current = end
  }
}
