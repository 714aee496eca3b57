/**
 * Names and addresses of one lab run. Every host-visible name starts with
 * `pt-<runid>-` so that cleanupStale() can find our leftovers, and only ours; interface
 * names stay within Linux's 15 characters. Addresses: the WAN is RFC 2544 benchmarking
 * space (198.18.0.0/15), LANs are 10.10.<site>.0/24; nothing in 100.64.0.0/10.
 */
import { randomBytes } from 'node:crypto'

export const LAB_PREFIX = 'pt-'
/** Matches a namespace or interface name of some lab run and captures the run id. */
export const LAB_NAME_PATTERN = /^pt-([0-9a-f]{4})-/
export const OWNER_DIR = '/run/patronus-lab'

export function newRunId(): string {
  return randomBytes(2).toString('hex')
}

export function labNames(runId: string) {
  const p = `${LAB_PREFIX}${runId}-`
  return {
    prefix: p,
    wanNs: `${p}wan`,
    cpNs: `${p}cp`,
    siteNs: (site: number) => `${p}s${site}`,
    hostNs: (site: number) => `${p}h${site}`,
    /** Site side of uplink `slot` (inside the site namespace). */
    uplinkIf: (slot: number) => `${p}u${slot}`,
    /** WAN-router side of site `site`'s uplink `slot`. */
    wanIf: (site: number, slot: number) => `${p}${site}u${slot}`,
    lanIf: `${p}lan`,
    hostIf: `${p}eth`,
    cpIf: `${p}cp`,
    wanCpIf: `${p}wcp`,
    /** WireGuard interface prefix of a site: host-wide unique (wireguard-go sockets). */
    wgPrefix: (site: number) => `${p}${site}w`,
    nftTable: `pt_${runId}`,
  }
}

export type LabNames = ReturnType<typeof labNames>

export const labAddresses = {
  /** WAN-router side of uplink (site, slot), in a /30. */
  uplinkGateway: (site: number, slot: number) => `198.18.${site}.${4 * slot + 1}`,
  /** Site side of uplink (site, slot): the address peers reach this uplink at. */
  uplinkAddress: (site: number, slot: number) => `198.18.${site}.${4 * slot + 2}`,
  uplinkPrefixLength: 30,
  cpGateway: '198.19.0.1',
  cpAddress: '198.19.0.2',
  /** Address the delay relay of uplink (site, slot) uses inside the WAN namespace. */
  relayAddress: (site: number, slot: number) => `198.19.${2 + site}.${slot + 1}`,
  lanPrefix: (site: number) => `10.10.${site}.0/24`,
  lanGateway: (site: number) => `10.10.${site}.1`,
  lanHost: (site: number) => `10.10.${site}.2`,
  overlayAddress: (site: number) => `10.255.0.${site + 1}`,
  overlayPool: '10.255.0.0/16',
}

export function checkIfName(name: string): string {
  if (name.length > 15) throw new Error(`interface name ${name} is longer than 15 characters`)
  return name
}
