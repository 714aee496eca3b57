/**
 * What the path monitor reports: path liveness transitions (path.down / path.up) and the
 * path selector's events (failover, failback, SLA violation) as protocol AgentEvents,
 * and the 10 s telemetry batch (one sample per path plus the active path of every class).
 */
import type { AgentEvent, PathKey, PathSample } from '../../protocol/telemetry'
import type { DecisionEvent, PathRef } from '../decision'

const refOf = (p: PathRef): PathKey => ({
  peerSiteId: p.peerSiteId,
  localSlot: p.localSlot,
  remoteSlot: p.remoteSlot,
})

export function livenessEvent(
  ref: PathRef,
  up: boolean,
  at: number,
  details: Record<string, unknown>,
): AgentEvent {
  return {
    type: up ? 'path.up' : 'path.down',
    at: Math.floor(at),
    severity: up ? 'info' : 'warning',
    path: refOf(ref),
    details,
  }
}

/** failover/failback/sla_violation as agent events; switch and no_path are only logged. */
export function decisionEvent(e: DecisionEvent): AgentEvent | undefined {
  const type =
    e.type === 'failover'
      ? 'path.failover'
      : e.type === 'failback'
        ? 'path.failback'
        : e.type === 'sla_violation'
          ? 'path.sla_violation'
          : undefined
  if (!type) return undefined
  const path = e.to ?? e.from
  return {
    type,
    at: Math.floor(e.at),
    severity: type === 'path.failback' ? 'info' : 'warning',
    ...(path ? { path: refOf(path) } : {}),
    class: e.classId,
    details: {
      from: e.from ? refOf(e.from) : null,
      to: e.to ? refOf(e.to) : null,
      reason: e.reason,
    },
  }
}

export function sampleOf(
  ref: PathRef,
  at: number,
  up: boolean,
  q: { rttMs: number | null; jitterMs: number | null; loss10s: number | null; mos: number | null },
): PathSample {
  const clamp = (v: number | null, max: number) =>
    v === null ? null : Math.min(max, Math.max(0, v))
  return {
    at: Math.floor(at),
    path: refOf(ref),
    state: up ? 'up' : 'down',
    rttMs: clamp(q.rttMs, 600_000),
    jitterMs: clamp(q.jitterMs, 600_000),
    lossPct: Math.min(100, Math.max(0, (q.loss10s ?? (up ? 0 : 1)) * 100)),
    mos: q.mos === null ? null : Math.min(5, Math.max(1, q.mos)),
  }
}
