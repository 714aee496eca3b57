/**
 * The path selector's inputs and outputs. A path is (local uplink slot, peer site, remote
 * uplink slot), as in the path model (docs/architecture.md); a traffic class is one policy of
 * the desired state, or the default class. Metrics arrive from BFD, the tunnel watcher and the
 * quality probes; the engine never measures anything itself.
 */
import type { PATH_PREFERENCES } from '../../protocol/policy'

export type PathPreference = (typeof PATH_PREFERENCES)[number]

export interface PathRef {
  peerSiteId: string
  localSlot: number
  remoteSlot: number
}

/** One path's current state. Missing or null metrics mean "not measured yet". */
export interface PathInput extends PathRef {
  /** False when its BFD session or its tunnel is down. */
  up: boolean
  rttMs?: number | null
  jitterMs?: number | null
  /** Fraction lost, 0 to 1. */
  lossRatio?: number | null
  mos?: number | null
  bandwidthMbps?: number | null
  /** Cost per GB (the uplinks' costPerGb). */
  cost?: number | null
  /**
   * The predictor's P(failure or SLA violation within its horizon) for this path is at or
   * above the model's threshold (agent/predict). Absent or false: no prediction (no model,
   * or the path looks fine). Only classes with `predictive` act on it.
   */
  predicted?: boolean
  /**
   * Scores of this path by custom scorer name (higher is better), computed for the engine
   * before the evaluation (agent/scorers runs the plugins in a sandbox): the engine itself
   * never calls a plugin. A `custom` class uses its scorer's scores only when every path of
   * the evaluation carries one, else it is scored lowest-latency. A non-finite score means
   * the plugin refuses the path: the class treats it as down.
   */
  customScores?: Readonly<Record<string, number>>
}

export interface Sla {
  maxLatencyMs?: number | undefined
  maxJitterMs?: number | undefined
  maxLossPct?: number | undefined
}

export interface TrafficClass {
  id: string
  name: string
  preference: PathPreference
  /** Name of a registered custom scorer (preference `custom`). */
  scorer?: string | undefined
  sla?: Sla | undefined
  /** Move off a path early when the predictor flags it (see PathInput.predicted). */
  predictive?: boolean | undefined
}

export interface FailoverSettings {
  holdDownMs: number
  failbackAfterMs: number
  hysteresisPct: number
}

/** The metrics a custom scorer sees; the same shape as a `patronus:scorer` plugin's input. */
export interface ScorerInput {
  latencyMs: number
  jitterMs: number
  loss: number
  bandwidthMbps: number
  cost: number
  mos: number
}

export type DecisionReason =
  /** First choice for this class and peer. */
  | 'initial'
  /** The current path went down (forced, ignores hold-down). */
  | 'path_down'
  /**
   * The class's scorer plugin refused the current path (a non-finite score): forced like a
   * path going down, since the plugin says it must not be used.
   */
  | 'refused'
  /** The current path violates the SLA and a compliant path exists. */
  | 'sla'
  /**
   * The predictor flags the current path and a compliant, unflagged path exists (classes
   * with `predictive` only; bypasses hysteresis, waits out the hold-down, like `sla`).
   */
  | 'predicted'
  /** The current path is suppressed by flap damping and another path is up. */
  | 'damped'
  /** A better path, by more than the hysteresis margin. */
  | 'better'
  /** Back to the path we were forced off, after it stayed clean for failbackAfterMs. */
  | 'failback'
  /** The current path is still the best. */
  | 'current_best'
  /** A better path exists but the last switch was less than holdDownMs ago. */
  | 'hold_down'
  /** A better path exists but not by more than hysteresisPct. */
  | 'hysteresis'
  /** A path came up after a time with no path at all. */
  | 'restored'
  /** Every path is down. */
  | 'no_path'

export interface WeightedPath {
  path: PathRef
  /** Share of the class's traffic, 0 to 1; the weights of a decision sum to 1. */
  weight: number
}

export interface ClassDecision {
  classId: string
  peerSiteId: string
  /** The path carrying the class (for load-balance, the primary: the best-scored member). */
  path: PathRef | null
  /** One entry of weight 1, several for load-balance, none when no path is up. */
  paths: WeightedPath[]
  reason: DecisionReason
  /** No up path meets the class's SLA; `path` is the least bad one. */
  slaViolation: boolean
  /** When the class last moved to its current path (epoch ms), null if it never had one. */
  since: number | null
}

export type DecisionEventType = 'failover' | 'switch' | 'failback' | 'sla_violation' | 'no_path'

export interface DecisionEvent {
  type: DecisionEventType
  /** Epoch ms from the injected clock. */
  at: number
  classId: string
  peerSiteId: string
  from: PathRef | null
  to: PathRef | null
  reason: DecisionReason
}

export interface DecisionResult {
  at: number
  /** In class priority order (the default class last), peers sorted by site id. */
  decisions: ClassDecision[]
  events: DecisionEvent[]
}

export function pathKey(p: PathRef): string {
  return `${p.peerSiteId}/${p.localSlot}/${p.remoteSlot}`
}
