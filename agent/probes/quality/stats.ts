/**
 * Per-path statistics from probe outcomes: RTT (last and EWMA, gain 1/8 as RFC 6298's SRTT),
 * jitter with the RFC 3550 sec. 6.4.1 estimator J += (|D| - J) / 16, where D is the difference
 * between consecutive round-trip times (round trip, so the responder's clock never matters),
 * loss over sliding windows, and the E-model MOS. A probe is lost when no reply arrives within
 * max(minTimeoutMs, 4 x RTT EWMA), capped at maxTimeoutMs. Loss windows count outcomes by the
 * time they became known (reply or timeout), so a dead path shows loss 1 within one timeout.
 */
import { estimateMos } from './emodel'

export const LOSS_WINDOWS = { '1s': 1_000, '10s': 10_000, '60s': 60_000 } as const
export type LossWindow = keyof typeof LOSS_WINDOWS

export interface StatsOptions {
  minTimeoutMs: number
  maxTimeoutMs: number
  timeoutFactor: number
}

export const DEFAULT_STATS_OPTIONS: StatsOptions = {
  minTimeoutMs: 1000,
  maxTimeoutMs: 10_000,
  timeoutFactor: 4,
}

export interface PathQualityStats {
  sent: number
  received: number
  lost: number
  /** Replies after their probe was declared lost. */
  late: number
  lastRttMs: number | null
  rttMs: number | null
  jitterMs: number | null
  /** Loss ratio 0 to 1 per window; null when no probe outcome fell in the window. */
  loss: Record<LossWindow, number | null>
  /** E-model MOS from the RTT EWMA, the jitter and the 10 s loss; null before any reply. */
  mos: number | null
  /** Epoch ms of the last reply, null before any. */
  lastReplyAt: number | null
}

interface Outcome {
  at: number
  sequence: number
  lost: boolean
}

export type ReplyVerdict = 'ok' | 'late' | 'duplicate' | 'unknown'

export class PathStatsTracker {
  readonly #options: StatsOptions
  readonly #outstanding = new Map<number, number>()
  /** Resolved outcomes, oldest first, kept for the longest window. */
  readonly #outcomes: Outcome[] = []
  #head = 0
  readonly #resolved = new Map<number, boolean>()
  #sent = 0
  #received = 0
  #lost = 0
  #late = 0
  #lastRtt: number | null = null
  #srtt: number | null = null
  #jitter: number | null = null
  #lastReplyAt: number | null = null

  constructor(options: Partial<StatsOptions> = {}) {
    this.#options = { ...DEFAULT_STATS_OPTIONS, ...options }
  }

  get timeoutMs(): number {
    const { minTimeoutMs, maxTimeoutMs, timeoutFactor } = this.#options
    const byRtt = this.#srtt === null ? 0 : timeoutFactor * this.#srtt
    return Math.min(maxTimeoutMs, Math.max(minTimeoutMs, byRtt))
  }

  /** Outstanding probes (bounded by the timeout over the interval). */
  get outstanding(): number {
    return this.#outstanding.size
  }

  sent(sequence: number, at: number): void {
    this.#sent++
    this.#outstanding.set(sequence, at)
  }

  /** A reply authenticated for this path; returns its RTT when it counts. */
  reply(sequence: number, at: number): { verdict: ReplyVerdict; rttMs?: number } {
    const sentAt = this.#outstanding.get(sequence)
    if (sentAt === undefined) {
      const resolved = this.#resolved.get(sequence)
      if (resolved === true) {
        this.#late++
        return { verdict: 'late' }
      }
      return { verdict: resolved === false ? 'duplicate' : 'unknown' }
    }
    this.#outstanding.delete(sequence)
    const rtt = Math.max(0, at - sentAt)
    this.#received++
    this.#record(at, sequence, false)
    if (this.#lastRtt !== null) {
      const d = Math.abs(rtt - this.#lastRtt)
      this.#jitter = (this.#jitter ?? 0) + (d - (this.#jitter ?? 0)) / 16
    } else {
      this.#jitter = 0
    }
    this.#srtt = this.#srtt === null ? rtt : this.#srtt + (rtt - this.#srtt) / 8
    this.#lastRtt = rtt
    this.#lastReplyAt = at
    return { verdict: 'ok', rttMs: rtt }
  }

  /** Declares lost every outstanding probe older than the timeout (each one to `onLost`). */
  expire(now: number, onLost?: (sequence: number) => void): number {
    const timeout = this.timeoutMs
    let n = 0
    for (const [sequence, sentAt] of this.#outstanding) {
      if (now - sentAt < timeout) continue
      this.#outstanding.delete(sequence)
      this.#lost++
      this.#record(now, sequence, true)
      onLost?.(sequence)
      n++
    }
    this.#prune(now)
    return n
  }

  snapshot(now: number): PathQualityStats {
    this.#prune(now)
    const loss = { '1s': null, '10s': null, '60s': null } as Record<LossWindow, number | null>
    const counts = { '1s': [0, 0], '10s': [0, 0], '60s': [0, 0] } as Record<LossWindow, number[]>
    for (let i = this.#outcomes.length - 1; i >= this.#head; i--) {
      const o = this.#outcomes[i]!
      const age = now - o.at
      for (const w of Object.keys(LOSS_WINDOWS) as LossWindow[]) {
        if (age < LOSS_WINDOWS[w]) {
          counts[w]![0]! += o.lost ? 1 : 0
          counts[w]![1]!++
        }
      }
    }
    for (const w of Object.keys(LOSS_WINDOWS) as LossWindow[]) {
      const [lost, total] = counts[w] as [number, number]
      loss[w] = total === 0 ? null : lost / total
    }
    const mos =
      this.#srtt === null
        ? null
        : estimateMos({
            rttMs: this.#srtt,
            jitterMs: this.#jitter ?? 0,
            lossPct: (loss['10s'] ?? 0) * 100,
          })
    return {
      sent: this.#sent,
      received: this.#received,
      lost: this.#lost,
      late: this.#late,
      lastRttMs: this.#lastRtt,
      rttMs: this.#srtt,
      jitterMs: this.#jitter,
      loss,
      mos,
      lastReplyAt: this.#lastReplyAt,
    }
  }

  #record(at: number, sequence: number, lost: boolean): void {
    this.#outcomes.push({ at, sequence, lost })
    this.#resolved.set(sequence, lost)
  }

  #prune(now: number): void {
    const horizon = now - LOSS_WINDOWS['60s']
    while (this.#head < this.#outcomes.length && this.#outcomes[this.#head]!.at <= horizon) {
      const o = this.#outcomes[this.#head]!
      if (this.#resolved.get(o.sequence) === o.lost) this.#resolved.delete(o.sequence)
      this.#head++
    }
    if (this.#head > 1024 && this.#head * 2 > this.#outcomes.length) {
      this.#outcomes.splice(0, this.#head)
      this.#head = 0
    }
  }
}
