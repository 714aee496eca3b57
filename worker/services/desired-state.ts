/**
 * Builds one site's desired state: a handful of indexed queries whose cost grows with that
 * site's peers only (a spoke's config reads its hubs, never the other spokes). Peers are
 * sites with an active agent, chosen by the org's topology: full mesh, or hub-and-spoke
 * where spokes peer with hubs and hubs with everyone.
 */
import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm'
import type { DesiredState, DesiredUplink, ModelRef, ScorerRef } from '../../protocol/agent'
import { splitEndpoint } from '../../protocol/endpoint'
import type { PolicyAction, PolicyMatch } from '../../protocol/policy'
import { PROTOCOL_VERSION } from '../../protocol/version'
import type { Db } from '../db/client'
import { agents, orgs, policies, scorers, sites, uplinks } from '../db/schema'
import { notFound } from '../errors'
import type { AgentRow } from './agent-auth'
import { AGENT_SETTINGS } from './agent-settings'
import { desiredApplications } from './applications'

type UplinkRow = typeof uplinks.$inferSelect

export function toDesiredUplink(row: UplinkRow): DesiredUplink {
  const endpoint = row.endpoint ? splitEndpoint(row.endpoint) : undefined
  return {
    id: row.id,
    name: row.name,
    slot: row.slot,
    interface: row.interface,
    endpointHost: endpoint?.host ?? null,
    basePort: endpoint?.port ?? AGENT_SETTINGS.wireguard.basePort,
    bandwidthMbps: row.bandwidthMbps,
    costPerGb: row.costPerGb ?? null,
    priority: row.priority,
  }
}

export function policyAppliesTo(match: PolicyMatch, labels: Record<string, string>): boolean {
  return Object.entries(match.siteLabels ?? {}).every(([key, value]) => labels[key] === value)
}

export async function currentRevision(db: Db, siteId: string): Promise<number | undefined> {
  const [row] = await db
    .select({ revision: sites.configRevision })
    .from(sites)
    .where(eq(sites.id, siteId))
  return row?.revision
}

/** The current versions of the scorer plugins the site's `custom` policies name. */
async function scorerRefs(
  db: Db,
  orgId: string,
  sitePolicies: readonly { action: PolicyAction }[],
): Promise<ScorerRef[]> {
  const names = new Set(
    sitePolicies.flatMap((p) =>
      p.action.preference === 'custom' && p.action.scorer ? [p.action.scorer] : [],
    ),
  )
  if (names.size === 0) return []
  return db
    .select({ name: scorers.name, id: scorers.id, sha256: scorers.sha256 })
    .from(scorers)
    .where(and(eq(scorers.orgId, orgId), inArray(scorers.name, [...names])))
    .orderBy(asc(scorers.name))
}

export async function buildDesiredState(
  db: Db,
  agent: AgentRow,
  now: number,
  /** The instance's prediction model (services/models.ts); null: none. */
  model: ModelRef | null = null,
): Promise<DesiredState> {
  const [site] = await db.select().from(sites).where(eq(sites.id, agent.siteId))
  if (!site) throw notFound('site', agent.siteId)
  const [org] = await db.select().from(orgs).where(eq(orgs.id, site.orgId))
  if (!org) throw notFound('org', site.orgId)

  // Spokes of a hub-and-spoke org see hubs only; everyone else sees every other site.
  const spokeOnly = org.topology === 'hub-and-spoke' && site.role !== 'hub'
  const peerFilter = and(
    eq(sites.orgId, site.orgId),
    ne(sites.id, site.id),
    spokeOnly ? eq(sites.role, 'hub') : undefined,
  )
  const activeAgent = and(eq(agents.siteId, sites.id), isNull(agents.revokedAt))

  const [ownUplinks, peerRows, peerUplinks, orgPolicies, orgApplications] = await Promise.all([
    db.select().from(uplinks).where(eq(uplinks.siteId, site.id)).orderBy(asc(uplinks.slot)),
    db
      .select({ site: sites, agentId: agents.id, key: agents.wireguardPublicKey })
      .from(sites)
      .innerJoin(agents, activeAgent)
      .where(peerFilter)
      .orderBy(asc(sites.id)),
    db
      .select({ uplink: uplinks })
      .from(uplinks)
      .innerJoin(sites, eq(sites.id, uplinks.siteId))
      .innerJoin(agents, activeAgent)
      .where(peerFilter)
      .orderBy(asc(uplinks.slot)),
    db
      .select()
      .from(policies)
      .where(eq(policies.orgId, site.orgId))
      .orderBy(asc(policies.priority)),
    desiredApplications(db, site.orgId),
  ])

  const sitePolicies = orgPolicies
    .filter((p) => policyAppliesTo(p.match as PolicyMatch, site.labels))
    .map((p) => ({
      id: p.id,
      name: p.name,
      priority: p.priority,
      match: p.match as PolicyMatch,
      action: p.action as PolicyAction,
    }))
  const scorerVersions = await scorerRefs(db, site.orgId, sitePolicies)

  const uplinksBySite = new Map<string, DesiredUplink[]>()
  for (const { uplink } of peerUplinks) {
    const list = uplinksBySite.get(uplink.siteId) ?? []
    list.push(toDesiredUplink(uplink))
    uplinksBySite.set(uplink.siteId, list)
  }

  return {
    protocolVersion: PROTOCOL_VERSION,
    revision: site.configRevision,
    generatedAt: new Date(now).toISOString(),
    org: { id: org.id, topology: org.topology },
    site: {
      id: site.id,
      name: site.name,
      role: site.role,
      prefixes: site.prefixes,
      labels: site.labels,
      overlayAddress: site.overlayAddress ?? '',
      overlayPool: org.overlayPool,
    },
    agent: { id: agent.id },
    uplinks: ownUplinks.map(toDesiredUplink),
    wireguard: AGENT_SETTINGS.wireguard,
    peers: peerRows
      .filter((peer) => peer.site.overlayAddress !== null)
      .map((peer) => ({
        siteId: peer.site.id,
        siteName: peer.site.name,
        role: peer.site.role,
        agentId: peer.agentId,
        wireguardPublicKey: peer.key,
        overlayAddress: peer.site.overlayAddress!,
        prefixes: peer.site.prefixes,
        uplinks: uplinksBySite.get(peer.site.id) ?? [],
      })),
    policies: sitePolicies,
    applications: orgApplications,
    probes: AGENT_SETTINGS.probes,
    failover: AGENT_SETTINGS.failover,
    heartbeatIntervalSeconds: AGENT_SETTINGS.heartbeatIntervalSeconds,
    model,
    scorers: scorerVersions,
  }
}
