/**
 * Uplinks: a site's WAN links. Each gets the lowest free slot (0..15) of its site when it
 * is created and keeps it for life: slots fix the WireGuard interface pairing of the path
 * model (docs/architecture.md), so renumbering would re-pair every tunnel.
 */
import { and, asc, eq, gt } from 'drizzle-orm'
import { newId } from '../../protocol/ids'
import { isoTime } from '../api/common'
import type { Uplink, UplinkCreate, UplinkUpdate } from '../api/uplinks'
import type { DbOrTx } from '../db/client'
import { isUniqueViolation } from '../db/errors'
import { uplinks } from '../db/schema'
import { conflict, notFound } from '../errors'
import { recordAudit } from './audit'
import { type Actor, announce, type ServiceContext } from './context'
import { decodeCursor, type PageRequest, toPage } from './pagination'
import { bumpForPeeringChange } from './revisions'
import { findSiteRow } from './sites'
import { assertVersion } from './versioning'

export const MAX_UPLINKS_PER_SITE = 16

type UplinkRow = typeof uplinks.$inferSelect

export function toUplink(row: UplinkRow): Uplink {
  return {
    id: row.id,
    siteId: row.siteId,
    name: row.name,
    slot: row.slot,
    interface: row.interface,
    endpoint: row.endpoint,
    bandwidthMbps: row.bandwidthMbps,
    costPerGb: row.costPerGb ?? null,
    priority: row.priority,
    createdAt: isoTime(row.createdAt)!,
    updatedAt: isoTime(row.updatedAt)!,
    version: row.version,
  }
}

async function findUplinkRow(tx: DbOrTx, orgId: string, uplinkId: string) {
  const [row] = await tx
    .select()
    .from(uplinks)
    .where(and(eq(uplinks.orgId, orgId), eq(uplinks.id, uplinkId)))
  if (!row) throw notFound('uplink', uplinkId)
  return row
}

async function assertNameFree(tx: DbOrTx, siteId: string, name: string, exceptId?: string) {
  const [other] = await tx
    .select({ id: uplinks.id })
    .from(uplinks)
    .where(and(eq(uplinks.siteId, siteId), eq(uplinks.name, name)))
  if (other && other.id !== exceptId) {
    throw conflict(`the site already has an uplink named "${name}"`, { field: 'name' })
  }
}

export function lowestFreeSlot(taken: number[]): number | undefined {
  const used = new Set(taken)
  for (let slot = 0; slot < MAX_UPLINKS_PER_SITE; slot++) if (!used.has(slot)) return slot
  return undefined
}

export async function createUplink(
  ctx: ServiceContext,
  actor: Actor,
  siteId: string,
  input: UplinkCreate,
  tx?: DbOrTx,
) {
  const now = ctx.clock.now()
  const id = newId('uplink', now)
  const work = async (t: DbOrTx) => {
    const site = await findSiteRow(t, actor.orgId, siteId)
    await assertNameFree(t, siteId, input.name)
    const taken = await t
      .select({ slot: uplinks.slot })
      .from(uplinks)
      .where(eq(uplinks.siteId, siteId))
    const slot = lowestFreeSlot(taken.map((r) => r.slot))
    if (slot === undefined) {
      throw conflict(`a site has at most ${MAX_UPLINKS_PER_SITE} uplinks`)
    }
    const [row] = await t
      .insert(uplinks)
      .values({
        id,
        orgId: actor.orgId,
        siteId,
        name: input.name,
        slot,
        interface: input.interface,
        endpoint: input.endpoint ?? null,
        bandwidthMbps: input.bandwidthMbps ?? null,
        costPerGb: input.costPerGb ?? null,
        priority: input.priority ?? 100,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    await recordAudit(t, actor, now, {
      action: 'uplink.created',
      objectType: 'uplink',
      objectId: id,
      details: { siteId },
    })
    return { uplink: toUplink(row!), bumped: await bumpForPeeringChange(t, actor.orgId, site) }
  }
  try {
    if (tx) return (await work(tx)).uplink
    const { uplink, bumped } = await ctx.db.transaction(work)
    announce(ctx, bumped)
    return uplink
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('the uplink conflicts with another one')
    throw error
  }
}

export async function listUplinks(
  ctx: ServiceContext,
  actor: Actor,
  siteId: string,
  page: PageRequest,
) {
  await findSiteRow(ctx.db, actor.orgId, siteId)
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(uplinks)
    .where(and(eq(uplinks.siteId, siteId), after ? gt(uplinks.id, after) : undefined))
    .orderBy(asc(uplinks.id))
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toUplink)
}

export async function getUplink(ctx: ServiceContext, actor: Actor, uplinkId: string) {
  return toUplink(await findUplinkRow(ctx.db, actor.orgId, uplinkId))
}

export async function updateUplink(
  ctx: ServiceContext,
  actor: Actor,
  uplinkId: string,
  patch: UplinkUpdate,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  try {
    const { uplink, bumped } = await ctx.db.transaction(async (tx) => {
      const current = await findUplinkRow(tx, actor.orgId, uplinkId)
      assertVersion(ifMatch, current.version, `uplink ${uplinkId}`)
      if (patch.name !== undefined) await assertNameFree(tx, current.siteId, patch.name, uplinkId)
      const [row] = await tx
        .update(uplinks)
        .set({ ...patch, updatedAt: now, version: current.version + 1 })
        .where(eq(uplinks.id, uplinkId))
        .returning()
      await recordAudit(tx, actor, now, {
        action: 'uplink.updated',
        objectType: 'uplink',
        objectId: uplinkId,
        details: { fields: Object.keys(patch) },
      })
      const site = await findSiteRow(tx, actor.orgId, current.siteId)
      return { uplink: toUplink(row!), bumped: await bumpForPeeringChange(tx, actor.orgId, site) }
    })
    announce(ctx, bumped)
    return uplink
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('the uplink conflicts with another one')
    throw error
  }
}

export async function deleteUplink(
  ctx: ServiceContext,
  actor: Actor,
  uplinkId: string,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  const bumped = await ctx.db.transaction(async (tx) => {
    const current = await findUplinkRow(tx, actor.orgId, uplinkId)
    assertVersion(ifMatch, current.version, `uplink ${uplinkId}`)
    await tx.delete(uplinks).where(eq(uplinks.id, uplinkId))
    await recordAudit(tx, actor, now, {
      action: 'uplink.deleted',
      objectType: 'uplink',
      objectId: uplinkId,
      details: { siteId: current.siteId },
    })
    const site = await findSiteRow(tx, actor.orgId, current.siteId)
    return bumpForPeeringChange(tx, actor.orgId, site)
  })
  announce(ctx, bumped)
}
