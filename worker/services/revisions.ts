/**
 * Config revisions: which sites' desired state a change touches. Work is proportional to
 * what changed: in a hub-and-spoke org a spoke's change bumps that spoke and the hubs,
 * never the other spokes; in a full mesh every site peers with every other, so a change
 * to one site's peering data bumps them all (one UPDATE). The returned ids are announced
 * to long-polling agents after the transaction commits (RevisionNotifier).
 */
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../db/client'
import { agents, orgs, sites } from '../db/schema'

const bump = { configRevision: sql`${sites.configRevision} + 1` }

/**
 * A change to what peers see of a site (prefixes, uplinks, agent key, existence).
 * `roleBefore` is given when the role changed, so the old peers learn too.
 */
export async function bumpForPeeringChange(
  tx: DbOrTx,
  orgId: string,
  site: { id: string; role: string },
  roleBefore?: string,
): Promise<string[]> {
  // A site without an active agent is nobody's peer: only its own config changes.
  const [agent] = await tx
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.siteId, site.id), isNull(agents.revokedAt)))
  if (!agent) return bumpSites(tx, [site.id])
  const [org] = await tx.select({ topology: orgs.topology }).from(orgs).where(eq(orgs.id, orgId))
  const isHub = (role: string | undefined) => role === 'hub'
  const everyone = org?.topology !== 'hub-and-spoke' || isHub(site.role) || isHub(roleBefore)
  const rows = await tx
    .update(sites)
    .set(bump)
    .where(
      and(
        eq(sites.orgId, orgId),
        everyone ? undefined : or(eq(sites.id, site.id), eq(sites.role, 'hub')),
      ),
    )
    .returning({ id: sites.id })
  return rows.map((r) => r.id)
}

/** A change that only the site itself sees (its labels, its name). */
export async function bumpSites(tx: DbOrTx, siteIds: string[]): Promise<string[]> {
  if (siteIds.length === 0) return []
  await tx.update(sites).set(bump).where(inArray(sites.id, siteIds))
  return siteIds
}

/** A change every site of the org sees (policies, topology). */
export async function bumpOrg(tx: DbOrTx, orgId: string): Promise<string[]> {
  const rows = await tx
    .update(sites)
    .set(bump)
    .where(eq(sites.orgId, orgId))
    .returning({ id: sites.id })
  return rows.map((r) => r.id)
}
