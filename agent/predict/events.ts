/**
 * `path.predicted_degradation` events: one per episode, not one per 100 ms round. An episode
 * of a path starts when its flag rises and ends once the flag has stayed down for quietMs,
 * so P hovering around the threshold is one event, not a storm. The event names the path,
 * P, the model (id, threshold, horizon) and the classes the path selector moved off the
 * path in the same evaluation (later moves, after a hold-down, are logged as path decisions).
 */
import type { AgentEvent } from '../../protocol/telemetry'
import type { DecisionEvent, PathRef } from '../decision'

export const EPISODE_QUIET_MS = 10_000

export interface FlagState {
  key: string
  ref: PathRef
  flagged: boolean
  probability: number | null
}

export interface ModelInfo {
  id: string
  threshold: number
  horizonMs: number
}

export class PredictionEpisodes {
  readonly #quietMs: number
  /** Per path: the last time it was flagged, while its episode is open. */
  readonly #open = new Map<string, number>()

  constructor(quietMs = EPISODE_QUIET_MS) {
    this.#quietMs = quietMs
  }

  update(
    now: number,
    paths: readonly FlagState[],
    decisions: readonly DecisionEvent[],
    model: ModelInfo | null,
  ): AgentEvent[] {
    const out: AgentEvent[] = []
    const seen = new Set<string>()
    for (const p of paths) {
      seen.add(p.key)
      const last = this.#open.get(p.key)
      if (!p.flagged) {
        if (last !== undefined && now - last >= this.#quietMs) this.#open.delete(p.key)
        continue
      }
      this.#open.set(p.key, now)
      if (last !== undefined || !model) continue
      const moved = decisions
        .filter((d) => d.reason === 'predicted' && d.from && samePath(d.from, p.ref))
        .map((d) => d.classId)
      out.push({
        type: 'path.predicted_degradation',
        at: Math.floor(now),
        severity: 'warning',
        path: {
          peerSiteId: p.ref.peerSiteId,
          localSlot: p.ref.localSlot,
          remoteSlot: p.ref.remoteSlot,
        },
        details: {
          probability: p.probability === null ? null : Math.round(p.probability * 1e4) / 1e4,
          threshold: model.threshold,
          horizonS: model.horizonMs / 1000,
          modelId: model.id,
          moved,
        },
      })
    }
    for (const key of this.#open.keys()) if (!seen.has(key)) this.#open.delete(key)
    return out
  }
}

function samePath(a: PathRef, b: PathRef): boolean {
  return (
    a.peerSiteId === b.peerSiteId && a.localSlot === b.localSlot && a.remoteSlot === b.remoteSlot
  )
}
