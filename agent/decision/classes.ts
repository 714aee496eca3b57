/**
 * From the desired state to the engine's inputs: one traffic class per policy, in priority
 * order (lower number first, as the control plane orders them), then the default class for
 * unmatched traffic; and the static attributes of every path (bandwidth, cost) from the
 * uplinks of both ends.
 */
import type { DesiredState } from '../../protocol/agent'
import { predictiveOf } from '../../protocol/policy'
import type { PathRef, TrafficClass } from './types'

export const DEFAULT_CLASS_ID = 'default'

export const DEFAULT_CLASS: TrafficClass = {
  id: DEFAULT_CLASS_ID,
  name: 'default',
  preference: 'lowest-latency',
}

export function classesFromDesiredState(
  desired: Pick<DesiredState, 'policies'>,
  defaultClass: TrafficClass = DEFAULT_CLASS,
): TrafficClass[] {
  const policies = [...desired.policies].sort((a, b) => a.priority - b.priority)
  return [
    ...policies.map((p) => ({
      id: p.id,
      name: p.name,
      preference: p.action.preference,
      scorer: p.action.scorer,
      sla: p.action.sla,
      predictive: predictiveOf(p.action),
    })),
    defaultClass,
  ]
}

export interface PathAttributes extends PathRef {
  /** The smaller of the two uplinks' bandwidths; null when either is unknown. */
  bandwidthMbps: number | null
  /** Sum of both uplinks' cost per GB (both ends bill the same organisation); unknown = 0. */
  cost: number
}

/** Every path of the path model: local uplink i x peer x the peer's uplink j. */
export function pathsFromDesiredState(
  desired: Pick<DesiredState, 'uplinks' | 'peers'>,
): PathAttributes[] {
  const out: PathAttributes[] = []
  for (const peer of desired.peers) {
    for (const local of desired.uplinks) {
      for (const remote of peer.uplinks) {
        const bw =
          local.bandwidthMbps !== null && remote.bandwidthMbps !== null
            ? Math.min(local.bandwidthMbps, remote.bandwidthMbps)
            : null
        out.push({
          peerSiteId: peer.siteId,
          localSlot: local.slot,
          remoteSlot: remote.slot,
          bandwidthMbps: bw,
          cost: (local.costPerGb ?? 0) + (remote.costPerGb ?? 0),
        })
      }
    }
  }
  return out
}
