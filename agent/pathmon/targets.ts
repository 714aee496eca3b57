/**
 * The paths a site monitors, from the desired state and the path model: for every peer,
 * every (local uplink i, peer uplink j) pair, with the addresses the underlay probes use
 * (uplink i's own address to the peer's uplink j endpoint host) and the tunnel that
 * carries the path (`wg-i-j`, holding the peer as a WireGuard peer). Pure.
 */
import type { DesiredState, DesiredUplink } from '../../protocol/agent'
import { parseIp } from '../../protocol/net'
import { type PathRef, pathKey } from '../decision'
import { interfaceName } from '../plan/mesh-plan'

export interface PathTarget {
  ref: PathRef
  key: string
  /** The tunnel interface of the path (`<prefix><i>-<j>`). */
  ifname: string
  peerPublicKey: string
  /** Uplink i's address (probes are bound to it; a `from` rule picks uplink i's table). */
  localAddress: string
  /** Peer uplink j's address. */
  remoteAddress: string
}

/** Where uplink i's address comes from: the plan (lab) or the live interface (prod). */
export type LocalAddressOf = (uplink: DesiredUplink) => string | undefined

export function pathTargets(
  desired: DesiredState,
  interfacePrefix: string,
  localAddressOf: LocalAddressOf,
): { targets: PathTarget[]; skipped: string[] } {
  const targets: PathTarget[] = []
  const skipped: string[] = []
  const peers = [...desired.peers]
    .filter((p) => p.siteId !== desired.site.id)
    .sort((a, b) => (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0))
  const local = [...desired.uplinks].sort((a, b) => a.slot - b.slot)
  for (const peer of peers) {
    for (const mine of local) {
      const localAddress = localAddressOf(mine)
      for (const theirs of [...peer.uplinks].sort((a, b) => a.slot - b.slot)) {
        const ref: PathRef = {
          peerSiteId: peer.siteId,
          localSlot: mine.slot,
          remoteSlot: theirs.slot,
        }
        const key = pathKey(ref)
        const remote = theirs.endpointHost
        if (!localAddress || !remote || !parseIp(remote)) {
          skipped.push(`${key}: no ${localAddress ? 'peer uplink address' : 'local address'}`)
          continue
        }
        targets.push({
          ref,
          key,
          ifname: interfaceName(interfacePrefix, mine.slot, theirs.slot),
          peerPublicKey: peer.wireguardPublicKey,
          localAddress,
          remoteAddress: remote,
        })
      }
    }
  }
  return { targets, skipped }
}
