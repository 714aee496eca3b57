/**
 * Joins what the agent knows about each path into the engine's input: static attributes
 * from the desired state (pathsFromDesiredState), liveness (BFD session and tunnel), and
 * measured quality (the quality prober's snapshot, structurally typed so this folder stays
 * free of I/O imports). Paths with no quality sample yet are passed as unmeasured.
 */
import type { PathAttributes } from './classes'
import { type PathInput, type PathRef, pathKey } from './types'

/** The fields of a quality snapshot the engine uses (agent/probes/quality PathQuality). */
export interface QualitySample extends PathRef {
  rttMs: number | null
  jitterMs: number | null
  loss: Record<'1s' | '10s' | '60s', number | null>
  mos: number | null
}

export function buildPathInputs(
  attributes: readonly PathAttributes[],
  quality: readonly QualitySample[],
  isUp: (path: PathRef) => boolean,
  lossWindow: '1s' | '10s' | '60s' = '10s',
): PathInput[] {
  const byKey = new Map(quality.map((q) => [pathKey(q), q]))
  return attributes.map((a) => {
    const q = byKey.get(pathKey(a))
    return {
      peerSiteId: a.peerSiteId,
      localSlot: a.localSlot,
      remoteSlot: a.remoteSlot,
      up: isUp(a),
      rttMs: q?.rttMs ?? null,
      jitterMs: q?.jitterMs ?? null,
      lossRatio: q?.loss[lossWindow] ?? null,
      mos: q?.mos ?? null,
      bandwidthMbps: a.bandwidthMbps,
      cost: a.cost,
    }
  })
}
