/**
 * What the path monitor reports (its third part), queued for the daemon to post; nothing
 * here talks to the control plane. Events: path liveness transitions (path.down/path.up),
 * the path selector's failover/failback/SLA events and the predictor's, in a queue
 * bounded at EVENT_QUEUE_MAX (the oldest go first; how many is logged at the next take).
 * Telemetry: one sample per path plus the active path of every class. Uplink states: an
 * uplink is up while one of its BFD sessions is.
 */
import type { AgentEvent, TelemetryBatch } from '../../protocol/telemetry'
import type { ClassDecision, DecisionEvent, QualitySample } from '../decision'
import type { Logger } from '../logger'
import { decisionEvent, livenessEvent, sampleOf } from './events'
import type { PathState } from './measure'
import type { PathTarget } from './targets'

/** Events kept for the daemon; the oldest are dropped past this (the count is logged). */
export const EVENT_QUEUE_MAX = 1_000

/** Samples and active paths per telemetry batch (the protocol's bound). */
const TELEMETRY_MAX = 2000

export type UplinkState = 'up' | 'down' | 'unknown'

/**
 * Uplink state by local slot: up when any of its paths' BFD sessions is Up, down when none
 * is but one has been Up before, unknown while none has produced a result.
 */
export function uplinkStates(
  targets: readonly PathTarget[],
  bfd: (key: string) => UplinkState,
): Map<number, UplinkState> {
  const out = new Map<number, UplinkState>()
  for (const t of targets) {
    const slot = t.ref.localSlot
    const prev = out.get(slot) ?? 'unknown'
    if (prev === 'up') continue
    const verdict = bfd(t.key)
    out.set(slot, verdict === 'unknown' ? prev : verdict)
  }
  return out
}

export class PathReport {
  readonly #log: Logger
  #events: AgentEvent[] = []
  #dropped = 0
  readonly #listeners = new Set<() => void>()
  /** Last liveness per path key (absent = never evaluated). */
  readonly #up = new Map<string, boolean>()

  constructor(options: { logger: Logger }) {
    this.#log = options.logger
  }

  /**
   * Queues path.up/path.down for paths whose liveness changed since the last call. The
   * first state seen of a path is recorded without an event (a down needs a path that was
   * up); paths no longer monitored are forgotten.
   */
  observeLiveness(
    targets: readonly PathTarget[],
    stateOf: (key: string) => PathState,
    now: number,
  ): void {
    for (const t of targets) {
      const state = stateOf(t.key)
      const before = this.#up.get(t.key)
      this.#up.set(t.key, state.up)
      if (before === undefined || before === state.up) continue
      this.push(livenessEvent(t.ref, state.up, now, { bfd: state.bfd, tunnel: state.tunnel }))
      this.#log.info({ path: t.key }, state.up ? 'path up' : 'path down')
    }
    const monitored = new Set(targets.map((t) => t.key))
    for (const key of [...this.#up.keys()]) if (!monitored.has(key)) this.#up.delete(key)
  }

  /** Logs every decision event; queues those the control plane is told about. */
  observeDecisions(events: readonly DecisionEvent[]): void {
    for (const e of events) {
      this.#log.info(
        {
          event: e.type,
          class: e.classId,
          peer: e.peerSiteId,
          from: e.from,
          to: e.to,
          reason: e.reason,
        },
        'path decision',
      )
      const ev = decisionEvent(e)
      if (ev) this.push(ev)
    }
  }

  push(event: AgentEvent): void {
    this.#events.push(event)
    this.#trim()
    for (const l of this.#listeners) l()
  }

  /** Takes up to `max` queued events (oldest first). */
  takeEvents(max: number): AgentEvent[] {
    if (this.#dropped > 0) {
      this.#log.warn({ dropped: this.#dropped }, 'event queue full: oldest events dropped')
      this.#dropped = 0
    }
    return this.#events.splice(0, max)
  }

  /** Puts events back at the head (a failed post), within the bound. */
  requeue(events: AgentEvent[]): void {
    this.#events = [...events, ...this.#events]
    this.#trim()
  }

  get pendingEvents(): number {
    return this.#events.length
  }

  /** Called after every queued event; returns the unsubscribe function. */
  onEvents(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** One sample per path (quality as probed, state as measured) and every class's path. */
  telemetry(view: {
    at: number
    targets: readonly PathTarget[]
    quality: readonly QualitySample[]
    isUp: (key: string) => boolean
    decisions: readonly ClassDecision[]
  }): TelemetryBatch {
    const { at } = view
    const quality = new Map(
      view.quality.map((q) => [`${q.peerSiteId}/${q.localSlot}/${q.remoteSlot}`, q]),
    )
    const samples = view.targets.map((t) => {
      const q = quality.get(t.key)
      return sampleOf(t.ref, at, view.isUp(t.key), {
        rttMs: q?.rttMs ?? null,
        jitterMs: q?.jitterMs ?? null,
        loss10s: q?.loss['10s'] ?? null,
        mos: q?.mos ?? null,
      })
    })
    const activePaths = view.decisions.flatMap((d) =>
      d.path
        ? [
            {
              class: d.classId,
              path: { ...d.path },
              reason: d.reason,
              since: Math.floor(d.since ?? at),
            },
          ]
        : [],
    )
    return {
      samples: samples.slice(0, TELEMETRY_MAX),
      activePaths: activePaths.slice(0, TELEMETRY_MAX),
    }
  }

  #trim(): void {
    const over = this.#events.length - EVENT_QUEUE_MAX
    if (over > 0) {
      this.#events.splice(0, over)
      this.#dropped += over
    }
  }
}
