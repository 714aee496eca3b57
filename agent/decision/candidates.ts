/**
 * The path selector's working parts, apart from its rules (selector.ts): what it keeps per
 * path and per class, a scored candidate, the event type of each decision reason, and the
 * pure helpers that pick the best candidate, weigh load-balance members and check input.
 */
import type { FlapDamper } from './damping'
import {
  type DecisionEvent,
  type DecisionReason,
  type PathInput,
  type PathRef,
  pathKey,
  type TrafficClass,
  type WeightedPath,
} from './types'

export interface PathTrack {
  ref: PathRef
  up: boolean
  /** Last time the path was seen down (or -Infinity). */
  lastDownAt: number
  damper: FlapDamper
}

export interface ClassState {
  current: string | null
  /** Load-balance members (keys); [current] otherwise. */
  members: string[]
  lastSwitchAt: number
  since: number | null
  failedFrom: string | null
  slaViolation: boolean
  hadPath: boolean
}

export type Emit = (
  type: DecisionEvent['type'],
  from: Candidate | undefined,
  to: Candidate | undefined,
  reason: DecisionReason,
) => void

export const EVENT_OF: Record<DecisionReason, DecisionEvent['type']> = {
  initial: 'switch',
  path_down: 'failover',
  refused: 'switch',
  restored: 'failover',
  sla: 'switch',
  predicted: 'switch',
  damped: 'switch',
  better: 'switch',
  failback: 'failback',
  current_best: 'switch',
  hold_down: 'switch',
  hysteresis: 'switch',
  no_path: 'no_path',
}

export interface Candidate {
  key: string
  index: number
  input: PathInput
  score: number
  excess: number
  /** Up, but refused by the class's scorer plugin (treated as down for this class). */
  refused: boolean
  suppressed: boolean
  clean: boolean
  /** Flagged by the predictor, for a class that acts on it. */
  predicted: boolean
}

export function best(list: readonly Candidate[], byExcess: boolean): Candidate | undefined {
  let top: Candidate | undefined
  for (const c of list) {
    if (!top) {
      top = c
      continue
    }
    if (byExcess && c.excess !== top.excess) {
      if (c.excess < top.excess) top = c
      continue
    }
    if (c.score > top.score || (c.score === top.score && c.index < top.index)) top = c
  }
  return top
}

/** Load-balance weights follow bandwidth (equal shares when a member's bandwidth is unknown). */
export function weigh(members: readonly Candidate[], balance: boolean): WeightedPath[] {
  if (members.length === 0) return []
  if (!balance || members.length === 1) {
    return members.slice(0, 1).map((c) => ({ path: ref(c.input), weight: 1 }))
  }
  const bw = members.map((c) => c.input.bandwidthMbps)
  const known = bw.every((b) => typeof b === 'number' && Number.isFinite(b) && b > 0)
  const shares = known ? (bw as number[]) : members.map(() => 1)
  const total = shares.reduce((a, b) => a + b, 0)
  return members
    .map((c, i) => ({ path: ref(c.input), weight: shares[i]! / total }))
    .sort((a, b) => b.weight - a.weight)
}

export function newState(): ClassState {
  return {
    current: null,
    members: [],
    lastSwitchAt: Number.NEGATIVE_INFINITY,
    since: null,
    failedFrom: null,
    slaViolation: false,
    hadPath: false,
  }
}

export function ref(p: PathRef): PathRef {
  return { peerSiteId: p.peerSiteId, localSlot: p.localSlot, remoteSlot: p.remoteSlot }
}

/** Paths in a stable order (peer, local slot, remote slot); a repeated path keeps its last entry. */
export function dedupe(input: readonly PathInput[]): PathInput[] {
  const map = new Map<string, PathInput>()
  for (const p of input) map.set(pathKey(p), p)
  return [...map.values()].sort(
    (a, b) =>
      (a.peerSiteId < b.peerSiteId ? -1 : a.peerSiteId > b.peerSiteId ? 1 : 0) ||
      a.localSlot - b.localSlot ||
      a.remoteSlot - b.remoteSlot,
  )
}

export function assertUniqueClasses(classes: readonly TrafficClass[]): void {
  const ids = new Set<string>()
  for (const c of classes) {
    if (ids.has(c.id)) throw new RangeError(`path selector: duplicate class id ${c.id}`)
    ids.add(c.id)
  }
}
