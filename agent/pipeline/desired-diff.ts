/**
 * The difference between two desired states as the recording pipeline reports it: which
 * peer sites appear, disappear or change, and which routes to peer prefixes should exist.
 * Pure, so tests can check it without a host.
 */
import type { DesiredPeer, DesiredState } from '../../protocol/agent'

export interface PeerRoute {
  /** Destination prefix (a peer site's prefix or its overlay address). */
  prefix: string
  siteId: string
}

export interface DesiredDiff {
  revision: number
  added: string[]
  removed: string[]
  changed: string[]
  /** Every route the pipeline should hold after this reconfig (the full set, not a delta). */
  routes: PeerRoute[]
}

/** Peer comparison by value: the schema fixes key order, so JSON is a stable fingerprint. */
function fingerprint(peer: DesiredPeer): string {
  return JSON.stringify(peer)
}

export function planReconfig(previous: DesiredState | undefined, next: DesiredState): DesiredDiff {
  const before = new Map((previous?.peers ?? []).map((p) => [p.siteId, fingerprint(p)]))
  const after = new Map(next.peers.map((p) => [p.siteId, fingerprint(p)]))
  const added: string[] = []
  const changed: string[] = []
  for (const [siteId, print] of after) {
    const old = before.get(siteId)
    if (old === undefined) added.push(siteId)
    else if (old !== print) changed.push(siteId)
  }
  const removed = [...before.keys()].filter((siteId) => !after.has(siteId))
  const routes = next.peers
    .filter((peer) => peer.siteId !== next.site.id)
    .flatMap((peer) =>
      [...peer.prefixes, hostPrefix(peer.overlayAddress)].map((prefix) => ({
        prefix,
        siteId: peer.siteId,
      })),
    )
    .sort((a, b) => a.prefix.localeCompare(b.prefix) || a.siteId.localeCompare(b.siteId))
  return {
    revision: next.revision,
    added: added.sort(),
    removed: removed.sort(),
    changed: changed.sort(),
    routes,
  }
}

/** The overlay address as a host route (/32 or /128) unless it already names a prefix. */
function hostPrefix(address: string): string {
  if (address.includes('/')) return address
  return address.includes(':') ? `${address}/128` : `${address}/32`
}
