/**
 * Sites: a location running one agent, with its LAN prefixes, role in the topology and
 * labels. Every read and write is scoped by the actor's org; another org's site is a 404.
 */
import { and, asc, eq, gt } from 'drizzle-orm'
import { newId } from '../../protocol/ids'
import { isoTime } from '../api/common'
import type { Site, SiteCreate, SiteUpdate } from '../api/sites'
import type { DbOrTx } from '../db/client'
import { isUniqueViolation } from '../db/errors'
import { orgs, sitePrefixes, sites, uplinks } from '../db/schema'
import { conflict, notFound } from '../errors'
import { recordAudit } from './audit'
import type { Actor, ServiceContext } from './context'
import { decodeCursor, type Page, type PageRequest, toPage } from './pagination'
import { checkOwnPrefixes, replaceSitePrefixes } from './prefixes'
import { assertVersion } from './versioning'

type SiteRow = typeof sites.$inferSelect

export function toSite(row: SiteRow): Site {
  return {
    id: row.id,
    name: row.name,
    region: row.region,
    prefixes: row.prefixes,
    role: row.role,
    labels: row.labels,
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
      const cidrs = checkOwnPrefixes(input.prefixes, await overlayPoolOf(tx, actor.orgId))
      await assertNameFree(tx, actor.orgId, input.name)
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
    .select()
    .from(sites)
    .where(and(eq(sites.orgId, actor.orgId), after ? gt(sites.id, after) : undefined))
    .orderBy(asc(sites.id))
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toSite)
}

export async function getSite(ctx: ServiceContext, actor: Actor, siteId: string) {
  return toSite(await findSiteRow(ctx.db, actor.orgId, siteId))
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
    return await ctx.db.transaction(async (tx) => {
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
      return toSite(row!)
    })
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
  await ctx.db.transaction(async (tx) => {
    const current = await findSiteRow(tx, actor.orgId, siteId)
    assertVersion(ifMatch, current.version, `site ${siteId}`)
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
  })
}
