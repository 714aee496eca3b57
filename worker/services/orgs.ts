/**
 * Orgs: the tenants. Only an instance-admin token creates them; everyone else sees just
 * their own org.
 */
import { and, asc, eq, gt } from 'drizzle-orm'
import { newId } from '../../protocol/ids'
import { parseCidr } from '../../protocol/net'
import { isoTime } from '../api/common'
import type { Org, OrgCreate } from '../api/orgs'
import { isUniqueViolation } from '../db/errors'
import { orgs } from '../db/schema'
import { conflict, invalid, ProblemError } from '../errors'
import { recordAudit } from './audit'
import type { Actor, ServiceContext } from './context'
import { decodeCursor, type PageRequest, toPage } from './pagination'

type OrgRow = typeof orgs.$inferSelect

export const toOrg = (row: OrgRow): Org => ({
  id: row.id,
  name: row.name,
  topology: row.topology,
  overlayPool: row.overlayPool,
  createdAt: isoTime(row.createdAt)!,
  version: row.version,
})

export function requireInstanceAdmin(actor: Actor): void {
  if (!actor.instanceAdmin) {
    throw new ProblemError('forbidden', 'this needs an instance-admin token')
  }
}

export async function createOrg(ctx: ServiceContext, actor: Actor, input: OrgCreate) {
  requireInstanceAdmin(actor)
  const pool = parseCidr(input.overlayPool)!
  // IPAM hands out one address per site: a pool smaller than /24 (or IPv6) is a mistake.
  if (pool.family !== 4 || pool.length > 24) {
    throw invalid([{ path: 'overlayPool', message: 'an IPv4 prefix of /24 or larger' }])
  }
  const now = ctx.clock.now()
  const id = newId('org', now)
  try {
    return await ctx.db.transaction(async (tx) => {
      const [existing] = await tx
        .select({ id: orgs.id })
        .from(orgs)
        .where(eq(orgs.name, input.name))
      if (existing) throw conflict(`an org named "${input.name}" already exists`, { field: 'name' })
      const [row] = await tx
        .insert(orgs)
        .values({
          id,
          name: input.name,
          topology: input.topology,
          overlayPool: input.overlayPool,
          createdAt: now,
        })
        .returning()
      await recordAudit(
        tx,
        actor,
        now,
        { action: 'org.created', objectType: 'org', objectId: id },
        id,
      )
      return toOrg(row!)
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`an org named "${input.name}" already exists`)
    throw error
  }
}

export async function listOrgs(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(orgs)
    .where(
      and(
        actor.instanceAdmin ? undefined : eq(orgs.id, actor.orgId),
        after ? gt(orgs.id, after) : undefined,
      ),
    )
    .orderBy(asc(orgs.id))
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toOrg)
}
