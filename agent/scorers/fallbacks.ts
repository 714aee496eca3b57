/**
 * `scorer.fallback` events: one when a scorer's state changes to a reason its classes fall
 * back for, not one per evaluation. A scorer that stays broken for the same reason reports
 * once; one that changes reason (missing, then invalid once fetched) reports each change; one
 * that recovers and breaks again reports again, but never the same (scorer, reason) twice
 * within quietMs, so a plugin flapping between working and timing out cannot flood the
 * control plane. `loading` (fetching, starting) is a normal transient: counted in the
 * metrics, never an event.
 */
import type { AgentEvent } from '../../protocol/telemetry'
import type { FailureReason } from './sandbox'

export const FALLBACK_QUIET_MS = 10 * 60_000

export interface FallbackDetails {
  message: string
  /** The version in question, when the desired state names one. */
  scorerId: string | null
  /** Ids of the classes (policies) scored lowest-latency because of it. */
  classes: readonly string[]
}

export type Transition =
  | { kind: 'fallback'; reason: FailureReason; event: AgentEvent | undefined }
  | { kind: 'recovered'; from: FailureReason }
  | { kind: 'same' }

export class FallbackLog {
  readonly #quietMs: number
  /** Per scorer: the reason it currently falls back for (absent: working or unknown). */
  readonly #state = new Map<string, FailureReason>()
  /** Per `${scorer}\n${reason}`: when that event was last sent. */
  readonly #sent = new Map<string, number>()

  constructor(quietMs = FALLBACK_QUIET_MS) {
    this.#quietMs = quietMs
  }

  /** The scorer falls back for `reason` in this evaluation. */
  fallback(
    scorer: string,
    reason: FailureReason,
    now: number,
    details: FallbackDetails,
  ): Transition {
    if (this.#state.get(scorer) === reason) return { kind: 'same' }
    this.#state.set(scorer, reason)
    if (reason === 'loading') return { kind: 'fallback', reason, event: undefined }
    const key = `${scorer}\n${reason}`
    const last = this.#sent.get(key)
    if (last !== undefined && now - last < this.#quietMs) {
      return { kind: 'fallback', reason, event: undefined }
    }
    this.#sent.set(key, now)
    return { kind: 'fallback', reason, event: fallbackEvent(scorer, reason, now, details) }
  }

  /** The scorer scored this evaluation. */
  ok(scorer: string): Transition {
    const from = this.#state.get(scorer)
    if (from === undefined) return { kind: 'same' }
    this.#state.delete(scorer)
    return { kind: 'recovered', from }
  }

  /** Forgets scorers no longer named (their next appearance starts afresh). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.#state.keys()) if (!names.has(name)) this.#state.delete(name)
  }

  /** The reason each falling-back scorer falls back for (metrics, status). */
  get states(): ReadonlyMap<string, FailureReason> {
    return this.#state
  }
}

export function fallbackEvent(
  scorer: string,
  reason: FailureReason,
  at: number,
  details: FallbackDetails,
): AgentEvent {
  return {
    type: 'scorer.fallback',
    at: Math.floor(at),
    severity: 'warning',
    details: {
      scorer,
      reason,
      // Bounded: a plugin's error text is not ours to size.
      message: details.message.slice(0, 500),
      scorerId: details.scorerId,
      classes: [...details.classes],
    },
  }
}
