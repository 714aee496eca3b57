/**
 * The idempotent part of both backends: from the device's current state, the desired
 * config and the config last applied, the smallest update. Endpoints are compared with the
 * last *applied* config, not the live state: WireGuard roams (a relay, a NAT rebinding), and
 * re-writing an endpoint that only roamed would undo it on every reconcile.
 */
import { normaliseCidr } from '../../protocol/net'
import type { WireGuardDeviceConfig, WireGuardDeviceState, WireGuardPeerConfig } from './types'

export interface PeerUpdate {
  publicKey: string
  remove?: true
  endpoint?: string
  persistentKeepalive?: number
  /** When present: replace the peer's allowed IPs with exactly these. */
  allowedIps?: string[]
}

export interface DeviceUpdate {
  privateKey?: string
  listenPort?: number
  fwmark?: number
  peers: PeerUpdate[]
}

export function canonicalAllowedIps(cidrs: string[]): string[] {
  const out = new Set<string>()
  for (const cidr of cidrs) {
    const normal = normaliseCidr(cidr)
    if (!normal) throw new Error(`allowed IP ${cidr} is not a CIDR`)
    out.add(normal)
  }
  return [...out].sort()
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export function planDeviceUpdate(
  current: WireGuardDeviceState,
  desired: WireGuardDeviceConfig,
  lastApplied?: WireGuardDeviceConfig,
): DeviceUpdate | undefined {
  const update: DeviceUpdate = { peers: [] }
  if (current.privateKey !== desired.privateKey) update.privateKey = desired.privateKey
  if (current.listenPort !== desired.listenPort) update.listenPort = desired.listenPort
  if (current.fwmark !== desired.fwmark) update.fwmark = desired.fwmark

  const wanted = new Map<string, WireGuardPeerConfig>()
  for (const peer of desired.peers) {
    if (wanted.has(peer.publicKey)) throw new Error(`peer ${peer.publicKey} is listed twice`)
    wanted.set(peer.publicKey, peer)
  }
  const lastEndpoints = new Map(lastApplied?.peers.map((p) => [p.publicKey, p.endpoint]) ?? [])
  const existing = new Map(current.peers.map((p) => [p.publicKey, p]))

  for (const peer of current.peers) {
    if (!wanted.has(peer.publicKey)) update.peers.push({ publicKey: peer.publicKey, remove: true })
  }
  for (const peer of desired.peers) {
    const have = existing.get(peer.publicKey)
    const allowed = canonicalAllowedIps(peer.allowedIps)
    if (!have) {
      update.peers.push({
        publicKey: peer.publicKey,
        ...(peer.endpoint ? { endpoint: peer.endpoint } : {}),
        persistentKeepalive: peer.persistentKeepalive,
        allowedIps: allowed,
      })
      continue
    }
    const change: PeerUpdate = { publicKey: peer.publicKey }
    const endpointChanged =
      peer.endpoint !== undefined &&
      (lastEndpoints.get(peer.publicKey) !== peer.endpoint || have.endpoint === undefined)
    if (endpointChanged && have.endpoint !== peer.endpoint) change.endpoint = peer.endpoint
    if (have.persistentKeepalive !== peer.persistentKeepalive) {
      change.persistentKeepalive = peer.persistentKeepalive
    }
    if (!sameList(canonicalAllowedIps(have.allowedIps), allowed)) change.allowedIps = allowed
    if (Object.keys(change).length > 1) update.peers.push(change)
  }
  const empty =
    update.privateKey === undefined &&
    update.listenPort === undefined &&
    update.fwmark === undefined &&
    update.peers.length === 0
  return empty ? undefined : update
}
