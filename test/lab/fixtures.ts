/**
 * Hand-made desired states for lab sites, as the control plane would serve them: every
 * site sees every other site as a mesh peer, keys generated locally with node:crypto.
 */

import { generateKeyPair, type WireGuardKeyPair } from '../../agent/tunnels/keys'
import type { DesiredState, DesiredUplink } from '../../protocol/agent'
import { PROTOCOL_VERSION } from '../../protocol/version'
import type { Lab, LabSite } from './harness'
import { labAddresses } from './names'

export interface LabSiteIdentity {
  site: LabSite
  siteId: string
  keys: WireGuardKeyPair
}

export function identities(lab: Lab): LabSiteIdentity[] {
  return lab.sites.map((site) => ({
    site,
    siteId: `site_${lab.runId}${String(site.index).padStart(24, '0')}`,
    keys: generateKeyPair(),
  }))
}

function uplinksOf(lab: Lab, site: LabSite): DesiredUplink[] {
  return site.uplinks.map((u) => ({
    id: `upl_${lab.runId}${String(site.index * 16 + u.slot).padStart(24, '0')}`,
    name: `uplink ${u.slot}`,
    slot: u.slot,
    interface: u.ifname,
    endpointHost: u.address,
    basePort: lab.wgBasePort,
    bandwidthMbps: null,
    costPerGb: null,
    priority: u.slot,
  }))
}

export function desiredStateFor(
  lab: Lab,
  all: LabSiteIdentity[],
  self: LabSiteIdentity,
  options: { revision?: number; keepaliveSeconds?: number } = {},
): DesiredState {
  const site = self.site
  return {
    protocolVersion: PROTOCOL_VERSION,
    revision: options.revision ?? 1,
    generatedAt: new Date(0).toISOString(),
    org: { id: `org_${lab.runId}${'0'.repeat(24)}`, topology: 'mesh' },
    site: {
      id: self.siteId,
      name: `lab site ${site.index}`,
      role: 'mesh',
      prefixes: [site.lanPrefix],
      labels: {},
      overlayAddress: labAddresses.overlayAddress(site.index),
      overlayPool: labAddresses.overlayPool,
    },
    agent: { id: `agt_${lab.runId}${String(site.index).padStart(24, '0')}` },
    uplinks: uplinksOf(lab, site),
    wireguard: {
      basePort: lab.wgBasePort,
      keepaliveSeconds: options.keepaliveSeconds ?? 1,
      mtu: 1420,
    },
    peers: all
      .filter((other) => other !== self)
      .map((other) => ({
        siteId: other.siteId,
        siteName: `lab site ${other.site.index}`,
        role: 'mesh' as const,
        agentId: `agt_${lab.runId}${String(other.site.index).padStart(24, '0')}`,
        wireguardPublicKey: other.keys.publicKey,
        overlayAddress: labAddresses.overlayAddress(other.site.index),
        prefixes: [other.site.lanPrefix],
        uplinks: uplinksOf(lab, other.site),
      })),
    policies: [],
    applications: [],
    probes: { bfdIntervalMs: 50, bfdMultiplier: 3, probeIntervalMs: 50 },
    failover: { holdDownMs: 1000, failbackAfterMs: 5000, hysteresisPct: 10 },
    heartbeatIntervalSeconds: 30,
  }
}
