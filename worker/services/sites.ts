/**
 * Sites: a location running one agent, with its LAN prefixes, role in the topology and
 * labels. Every read and write is scoped by the actor's org; another org's site is a 404.
 */
import { and, asc, eq, gt, isNull } from 'drizzle-orm'
import { newId } from '../../protocol/ids'
import { isoTime } from '../api/common'
import type { Site, SiteCreate, SiteUpdate } from '../api/sites'
import type { DbOrTx } from '../db/client'
import { isUniqueViolation } from '../db/errors'
import { agents, enrollmentTokens, orgs, sitePrefixes, sites, uplinks } from '../db/schema'
import { conflict, notFound } from '../errors'
import { isOnline } from './agent-settings'
import { recordAudit } from './audit'
import { type Actor, announce, type ServiceContext } from './context'
import { allocateOverlayAddress } from './ipam'
import { decodeCursor, type Page, type PageRequest, toPage } from './pagination'
import { checkOwnPrefixes, replaceSitePrefixes } from './prefixes'
import { assertSiteQuota, DEFAULT_QUOTAS } from './quotas'
import { bumpForPeeringChange, bumpSites } from './revisions'
import { assertVersion } from './versioning'

type SiteRow = typeof sites.$inferSelect

/** The site's active agent, if any: where its online status comes from. */
export interface SitePresence {
  agentId: string
  lastSeenAt: number | null
}

export function toSite(row: SiteRow, presence: SitePresence | null = null, now = 0): Site {
  return {
    id: row.id,
    name: row.name,
    region: row.region,
    prefixes: row.prefixes,
    role: row.role,
    labels: row.labels,
    overlayAddress: row.overlayAddress,
    agentId: presence?.agentId ?? null,
    status: presence && isOnline(presence.lastSeenAt, now) ? 'online' : 'offline',
    lastSeenAt: isoTime(presence?.lastSeenAt),
    createdAt: isoTime(row.createdAt)!,
    updatedAt: isoTime(row.updatedAt)!,
    version: row.version,
  }
}

export async function findSiteRow(tx: DbOrTx, orgId: string, siteId: string) {
  const [row] = await tx
    .select()
    .from(sites)
    .where(and(eq(sites.orgId, orgId), eq(sites.id, siteId)))
  if (!row) throw notFound('site', siteId)
  return row
}

async function overlayPoolOf(tx: DbOrTx, orgId: string): Promise<string> {
  const [org] = await tx.select({ pool: orgs.overlayPool }).from(orgs).where(eq(orgs.id, orgId))
  if (!org) throw notFound('org', orgId)
  return org.pool
}

async function assertNameFree(tx: DbOrTx, orgId: string, name: string, exceptId?: string) {
  const [other] = await tx
    .select({ id: sites.id })
    .from(sites)
    .where(and(eq(sites.orgId, orgId), eq(sites.name, name)))
  if (other && other.id !== exceptId) {
    throw conflict(`a site named "${name}" already exists`, { field: 'name', siteId: other.id })
  }
}

function rethrowUnique(error: unknown, name: string | undefined): never {
  if (isUniqueViolation(error)) throw conflict(`a site named "${name}" already exists`)
  throw error
}

export async function createSite(ctx: ServiceContext, actor: Actor, input: SiteCreate) {
  const now = ctx.clock.now()
  const id = newId('site', now)
  try {
    return await ctx.db.transaction(async (tx) => {
      await assertSiteQuota(tx, actor.orgId, ctx.quotas ?? DEFAULT_QUOTAS)
      const cidrs = checkOwnPrefixes(input.prefixes, await overlayPoolOf(tx, actor.orgId))
      await assertNameFree(tx, actor.orgId, input.name)
      const overlayAddress = await allocateOverlayAddress(tx, actor.orgId)
      const [row] = await tx
        .insert(sites)
        .values({
          id,
          orgId: actor.orgId,
          name: input.name,
          region: input.region ?? null,
          role: input.role,
          prefixes: input.prefixes,
          labels: input.labels,
          overlayAddress,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
      await replaceSitePrefixes(tx, actor.orgId, id, cidrs)
      await recordAudit(tx, actor, now, {
        action: 'site.created',
        objectType: 'site',
        objectId: id,
      })
      return toSite(row!)
    })
  } catch (error) {
    rethrowUnique(error, input.name)
  }
}

export async function listSites(
  ctx: ServiceContext,
  actor: Actor,
  page: PageRequest,
): Promise<Page<Site>> {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select({ site: sites, agentId: agents.id, lastSeenAt: agents.lastSeenAt })
    .from(sites)
    .leftJoin(agents, and(eq(agents.siteId, sites.id), isNull(agents.revokedAt)))
    .where(and(eq(sites.orgId, actor.orgId), after ? gt(sites.id, after) : undefined))
    .orderBy(asc(sites.id))
    .limit(page.limit + 1)
  const now = ctx.clock.now()
  return toPage(
    rows.map((r) => ({ ...r, id: r.site.id })),
    page.limit,
    (r) => toSite(r.site, r.agentId ? { agentId: r.agentId, lastSeenAt: r.lastSeenAt } : null, now),
  )
}

async function presenceOf(tx: DbOrTx, siteId: string): Promise<SitePresence | null> {
  const [agent] = await tx
    .select({ agentId: agents.id, lastSeenAt: agents.lastSeenAt })
    .from(agents)
    .where(and(eq(agents.siteId, siteId), isNull(agents.revokedAt)))
  return agent ?? null
}

export async function getSite(ctx: ServiceContext, actor: Actor, siteId: string) {
  const row = await findSiteRow(ctx.db, actor.orgId, siteId)
  return toSite(row, await presenceOf(ctx.db, siteId), ctx.clock.now())
}

export async function updateSite(
  ctx: ServiceContext,
  actor: Actor,
  siteId: string,
  patch: SiteUpdate,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  try {
    const { site, bumped } = await ctx.db.transaction(async (tx) => {
      const current = await findSiteRow(tx, actor.orgId, siteId)
      assertVersion(ifMatch, current.version, `site ${siteId}`)
      if (patch.name !== undefined) await assertNameFree(tx, actor.orgId, patch.name, siteId)
      if (patch.prefixes !== undefined) {
        const cidrs = checkOwnPrefixes(patch.prefixes, await overlayPoolOf(tx, actor.orgId))
        await replaceSitePrefixes(tx, actor.orgId, siteId, cidrs)
      }
      const [row] = await tx
        .update(sites)
        .set({ ...patch, updatedAt: now, version: current.version + 1 })
        .where(eq(sites.id, siteId))
        .returning()
      await recordAudit(tx, actor, now, {
        action: 'site.updated',
        objectType: 'site',
        objectId: siteId,
        details: { fields: Object.keys(patch) },
      })
      // Peers see the site's name, prefixes and role; only the site itself sees its labels.
      const peeringChanged =
        patch.name !== undefined || patch.prefixes !== undefined || patch.role !== undefined
      const bumped = peeringChanged
        ? await bumpForPeeringChange(tx, actor.orgId, row!, current.role)
        : patch.labels !== undefined
          ? await bumpSites(tx, [siteId])
          : []
      return { site: toSite(row!, await presenceOf(tx, siteId), now), bumped }
    })
    announce(ctx, bumped)
    return site
  } catch (error) {
    rethrowUnique(error, patch.name)
  }
}

export async function deleteSite(
  ctx: ServiceContext,
  actor: Actor,
  siteId: string,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  const bumped = await ctx.db.transaction(async (tx) => {
    const current = await findSiteRow(tx, actor.orgId, siteId)
    assertVersion(ifMatch, current.version, `site ${siteId}`)
    // Its peers drop it: bump them while the site and its agent still exist.
    const bumped = await bumpForPeeringChange(tx, actor.orgId, current)
    await tx
      .update(agents)
      .set({ revokedAt: now })
      .where(and(eq(agents.siteId, siteId), isNull(agents.revokedAt)))
    await tx.delete(enrollmentTokens).where(eq(enrollmentTokens.siteId, siteId))
    // Children first: foreign-key cascades are not on for every libSQL connection (HTTP
    // streams to a server do not keep PRAGMAs), so deletion is explicit.
    await tx.delete(uplinks).where(eq(uplinks.siteId, siteId))
    await tx.delete(sitePrefixes).where(eq(sitePrefixes.siteId, siteId))
    await tx.delete(sites).where(eq(sites.id, siteId))
    await recordAudit(tx, actor, now, {
      action: 'site.deleted',
      objectType: 'site',
      objectId: siteId,
    })
    return bumped.filter((id) => id !== siteId)
  })
  announce(ctx, bumped)
}
