/**
 * The path model (docs/architecture.md) as a pure function: from the desired state, the
 * WireGuard interfaces, uplink tables, rules and routes a site needs. One interface per
 * (local slot i, remote slot j), named `<prefix><i>-<j>` with slots in hex (so a name is the
 * prefix plus 3 characters), listening on `uplink i basePort + 16*i + j`, its underlay
 * marked for uplink i's table. On wg-i-j every peer with an uplink j is a peer, at
 * (peer uplink j host, peer uplink j basePort + 16*j + i): the peer's wg-j-i, computed the
 * same way on both ends, so pairings are symmetric and fixed and roaming is harmless.
 */
import type { DesiredState, DesiredUplink } from '../../protocol/agent'
import { normaliseCidr, parseIp } from '../../protocol/net'
import {
  MARKS,
  PRIORITIES,
  TABLES,
  uplinkFwmarkPriority,
  uplinkMark,
  uplinkSourcePriority,
  uplinkTable,
} from './numbers'

export interface MeshPlanOptions {
  /** Interface name prefix; at most 12 characters. Must be unique on the host. */
  interfacePrefix: string
  /**
   * `lab`: an uplink's endpointHost is its own address, so the `from` rule of an uplink
   * comes from the plan. `prod`: endpointHost may be a NAT's public address; the routing stage
   * takes the `from` address from the live interface instead.
   */
  mode: 'lab' | 'prod'
}

/** The mesh's numbers, from the registry (numbers.ts). */
export const MESH_DEFAULTS = {
  uplinkTableBase: TABLES.uplink.base,
  fwmarkBase: MARKS.uplink.base,
  meshTable: TABLES.mesh.base,
  classTableBase: TABLES.class.base,
  rulePriorityBase: PRIORITIES.uplinkFwmark.base,
} as const

export interface UplinkPlan {
  slot: number
  interface: string
  table: number
  fwmark: number
  /** Source address for the `from` rule when known from the plan (lab mode). */
  sourceAddress?: string
}

export interface PeerPlan {
  siteId: string
  publicKey: string
  remoteSlot: number
  endpoint?: string
  allowedIps: string[]
}

export interface InterfacePlan {
  name: string
  localSlot: number
  remoteSlot: number
  listenPort: number
  fwmark: number
  mtu: number
  /** The site's overlay address, as /32 (or /128). */
  address: string
  keepaliveSeconds: number
  peers: PeerPlan[]
}

export interface RoutePlan {
  dst: string
  table: number
  dev: string
}

export interface RulePlan {
  priority: number
  table: number
  fwmark?: number
  from?: string
}

export interface MeshPlan {
  uplinks: UplinkPlan[]
  interfaces: InterfacePlan[]
  routes: RoutePlan[]
  rules: RulePlan[]
  /** Every table the plan owns (uplinks, mesh, classes reserved). */
  tables: number[]
  warnings: string[]
}

export class MeshPlanError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MeshPlanError'
  }
}

const MAX_PREFIX = 12

export function interfaceName(prefix: string, localSlot: number, remoteSlot: number): string {
  return `${prefix}${localSlot.toString(16)}-${remoteSlot.toString(16)}`
}

export function listenPort(uplink: Pick<DesiredUplink, 'basePort'>, i: number, j: number) {
  return uplink.basePort + 16 * i + j
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

function hostCidr(address: string): string {
  const ip = parseIp(address)
  if (!ip) throw new MeshPlanError(`overlay address ${address} is not an IP address`)
  return `${address}/${ip.family === 4 ? 32 : 128}`
}

function bySlot(uplinks: DesiredUplink[], owner: string): DesiredUplink[] {
  const sorted = [...uplinks].sort((a, b) => a.slot - b.slot)
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]?.slot === sorted[k - 1]?.slot) {
      throw new MeshPlanError(`${owner}: two uplinks in slot ${sorted[k]?.slot}`)
    }
  }
  return sorted
}

export function planMesh(desired: DesiredState, options: MeshPlanOptions): MeshPlan {
  const prefix = options.interfacePrefix
  if (!/^[A-Za-z0-9_.-]{1,12}$/.test(prefix)) {
    throw new MeshPlanError(
      `interface prefix ${JSON.stringify(prefix)}: 1-${MAX_PREFIX} of [A-Za-z0-9_.-]`,
    )
  }
  const meshTable = TABLES.mesh.base
  const warnings: string[] = []
  const overlay = hostCidr(desired.site.overlayAddress)
  const local = bySlot(desired.uplinks, `site ${desired.site.id}`)

  const uplinks: UplinkPlan[] = local.map((u) => {
    const plan: UplinkPlan = {
      slot: u.slot,
      interface: u.interface,
      table: uplinkTable(u.slot),
      fwmark: uplinkMark(u.slot),
    }
    if (options.mode === 'lab' && u.endpointHost && parseIp(u.endpointHost)) {
      plan.sourceAddress = u.endpointHost
    }
    return plan
  })

  const peers = [...desired.peers]
    .filter((p) => {
      if (p.siteId === desired.site.id) {
        warnings.push(`peer list contains this site (${p.siteId}); skipped`)
        return false
      }
      return true
    })
    .sort((a, b) => (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0))
  const peerUplinks = new Map(peers.map((p) => [p.siteId, bySlot(p.uplinks, `peer ${p.siteId}`)]))
  const allowed = new Map(
    peers.map((p) => {
      const cidrs = new Set<string>()
      for (const prefixText of p.prefixes) {
        const normal = normaliseCidr(prefixText)
        if (normal) cidrs.add(normal)
        else warnings.push(`peer ${p.siteId}: prefix ${prefixText} is not a CIDR; skipped`)
      }
      cidrs.add(hostCidr(p.overlayAddress))
      return [p.siteId, [...cidrs].sort()]
    }),
  )

  const remoteSlots = [...new Set(peers.flatMap((p) => p.uplinks.map((u) => u.slot)))].sort(
    (a, b) => a - b,
  )
  const interfaces: InterfacePlan[] = []
  for (const mine of local) {
    for (const j of remoteSlots) {
      const name = interfaceName(prefix, mine.slot, j)
      const ifacePeers: PeerPlan[] = []
      for (const peer of peers) {
        const theirs = peerUplinks.get(peer.siteId)?.find((u) => u.slot === j)
        if (!theirs) continue
        const plan: PeerPlan = {
          siteId: peer.siteId,
          publicKey: peer.wireguardPublicKey,
          remoteSlot: j,
          allowedIps: allowed.get(peer.siteId) ?? [],
        }
        if (theirs.endpointHost) {
          if (parseIp(theirs.endpointHost)) {
            plan.endpoint = hostPort(theirs.endpointHost, listenPort(theirs, j, mine.slot))
          } else {
            warnings.push(
              `peer ${peer.siteId} uplink ${j}: endpoint host ${theirs.endpointHost} is not an IP literal; no endpoint set`,
            )
          }
        }
        ifacePeers.push(plan)
      }
      interfaces.push({
        name,
        localSlot: mine.slot,
        remoteSlot: j,
        listenPort: listenPort(mine, mine.slot, j),
        fwmark: uplinkMark(mine.slot),
        mtu: desired.wireguard.mtu,
        address: overlay,
        keepaliveSeconds: desired.wireguard.keepaliveSeconds,
        peers: ifacePeers,
      })
    }
  }

  // Default path to a peer: the lowest local slot, then the peer's lowest slot.
  const routes: RoutePlan[] = []
  const firstLocal = local[0]
  if (firstLocal) {
    for (const peer of peers) {
      const firstRemote = peerUplinks.get(peer.siteId)?.[0]
      if (!firstRemote) {
        warnings.push(`peer ${peer.siteId} has no uplinks; no route`)
        continue
      }
      const dev = interfaceName(prefix, firstLocal.slot, firstRemote.slot)
      for (const dst of allowed.get(peer.siteId) ?? []) routes.push({ dst, table: meshTable, dev })
    }
  }

  const rules: RulePlan[] = []
  for (const u of uplinks) {
    rules.push({ priority: uplinkFwmarkPriority(u.slot), table: u.table, fwmark: u.fwmark })
  }
  for (const u of uplinks) {
    if (u.sourceAddress) {
      rules.push({
        priority: uplinkSourcePriority(u.slot),
        table: u.table,
        from: hostCidr(u.sourceAddress),
      })
    }
  }
  rules.push({ priority: PRIORITIES.mesh.base, table: meshTable })

  for (const iface of interfaces) {
    if (iface.name.length > 15) throw new MeshPlanError(`interface name ${iface.name} is too long`)
  }
  const tables = [
    ...uplinks.map((u) => u.table),
    meshTable,
    ...Array.from({ length: TABLES.class.count }, (_, c) => TABLES.class.base + c),
  ]
  return { uplinks, interfaces, routes, rules, tables, warnings }
}
