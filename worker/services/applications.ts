/**
 * An org's own applications: SNI/Host name suffixes and ports that policies name beside the
 * builtin and default applications (protocol/applications.ts). Every site's classifier
 * compiles them with the policies, so every change bumps every site of the org, in the
 * transaction of the change. Policies hold them by name: a policy may only name an
 * application that exists, and an application a policy names cannot be deleted.
 */
import { and, asc, eq, gt, inArray } from 'drizzle-orm'
import { type DesiredApplication, isCatalogueApplication } from '../../protocol/applications'
import { newId } from '../../protocol/ids'
import type { PolicyMatch } from '../../protocol/policy'
import type { Application, ApplicationCreate, ApplicationReplace } from '../api/applications'
import { isoTime } from '../api/common'
import type { DbOrTx } from '../db/client'
import { isUniqueViolation } from '../db/errors'
import { applications, policies } from '../db/schema'
import { conflict, invalid, notFound } from '../errors'
import { recordAudit } from './audit'
import { type Actor, announce, type ServiceContext } from './context'
import { decodeCursor, type PageRequest, toPage } from './pagination'
import { assertApplicationQuota, DEFAULT_QUOTAS } from './quotas'
import { bumpOrg } from './revisions'
import { assertVersion } from './versioning'

type ApplicationRow = typeof applications.$inferSelect

export function toApplication(row: ApplicationRow): Application {
  return {
    id: row.id,
    name: row.name,
    ports: row.ports,
    names: row.names,
    createdAt: isoTime(row.createdAt)!,
    updatedAt: isoTime(row.updatedAt)!,
    version: row.version,
  }
}

async function findApplicationRow(tx: DbOrTx, orgId: string, name: string) {
  const [row] = await tx
    .select()
    .from(applications)
    .where(and(eq(applications.orgId, orgId), eq(applications.name, name)))
  if (!row) throw notFound('application', name)
  return row
}

const taken = (name: string) =>
  conflict(`an application named "${name}" already exists`, { field: 'name' })

export async function createApplication(
  ctx: ServiceContext,
  actor: Actor,
  input: ApplicationCreate,
): Promise<Application> {
  const now = ctx.clock.now()
  const id = newId('application', now)
  try {
    const { application, bumped } = await ctx.db.transaction(async (tx) => {
      const [other] = await tx
        .select({ id: applications.id })
        .from(applications)
        .where(and(eq(applications.orgId, actor.orgId), eq(applications.name, input.name)))
      if (other) throw taken(input.name)
      await assertApplicationQuota(tx, actor.orgId, ctx.quotas ?? DEFAULT_QUOTAS)
      const [row] = await tx
        .insert(applications)
        .values({ id, orgId: actor.orgId, ...input, createdAt: now, updatedAt: now })
        .returning()
      await recordAudit(tx, actor, now, {
        action: 'application.created',
        objectType: 'application',
        objectId: id,
        details: { name: input.name },
      })
      return { application: toApplication(row!), bumped: await bumpOrg(tx, actor.orgId) }
    })
    announce(ctx, bumped)
    return application
  } catch (error) {
    // Two creations of one name raced past the check above: the unique index decides.
    if (isUniqueViolation(error)) throw taken(input.name)
    throw error
  }
}

export async function listApplications(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(applications)
    .where(and(eq(applications.orgId, actor.orgId), after ? gt(applications.id, after) : undefined))
    .orderBy(asc(applications.id))
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toApplication)
}

export async function getApplication(ctx: ServiceContext, actor: Actor, name: string) {
  return toApplication(await findApplicationRow(ctx.db, actor.orgId, name))
}

export async function replaceApplication(
  ctx: ServiceContext,
  actor: Actor,
  name: string,
  input: ApplicationReplace,
  ifMatch: '*' | number[] | undefined,
): Promise<Application> {
  const now = ctx.clock.now()
  const { application, bumped } = await ctx.db.transaction(async (tx) => {
    const current = await findApplicationRow(tx, actor.orgId, name)
    assertVersion(ifMatch, current.version, `application ${name}`)
    const [row] = await tx
      .update(applications)
      .set({ ports: input.ports, names: input.names, updatedAt: now, version: current.version + 1 })
      .where(eq(applications.id, current.id))
      .returning()
    await recordAudit(tx, actor, now, {
      action: 'application.updated',
      objectType: 'application',
      objectId: current.id,
      details: { name },
    })
    return { application: toApplication(row!), bumped: await bumpOrg(tx, actor.orgId) }
  })
  announce(ctx, bumped)
  return application
}

export async function deleteApplication(
  ctx: ServiceContext,
  actor: Actor,
  name: string,
  ifMatch: '*' | number[] | undefined,
): Promise<void> {
  const now = ctx.clock.now()
  const bumped = await ctx.db.transaction(async (tx) => {
    const current = await findApplicationRow(tx, actor.orgId, name)
    assertVersion(ifMatch, current.version, `application ${name}`)
    // A policy naming a missing application would silently match nothing on every site.
    const orgPolicies = await tx
      .select({ id: policies.id, name: policies.name, match: policies.match })
      .from(policies)
      .where(eq(policies.orgId, actor.orgId))
    const users = orgPolicies.filter((p) =>
      ((p.match as PolicyMatch).applications ?? []).includes(name),
    )
    if (users.length) {
      throw conflict(
        `application ${name} is named by ${users.length === 1 ? 'policy' : 'policies'} ${users.map((p) => `"${p.name}"`).join(', ')}; change them first`,
        { policyIds: users.map((p) => p.id) },
      )
    }
    await tx.delete(applications).where(eq(applications.id, current.id))
    await recordAudit(tx, actor, now, {
      action: 'application.deleted',
      objectType: 'application',
      objectId: current.id,
      details: { name },
    })
    return bumpOrg(tx, actor.orgId)
  })
  announce(ctx, bumped)
}

/**
 * Refuses (422, per field) a policy match naming an application that is neither builtin,
 * default nor one of the org's. Runs in the policy's write transaction.
 */
export async function assertApplicationsDefined(
  tx: DbOrTx,
  orgId: string,
  match: PolicyMatch | undefined,
): Promise<void> {
  const named = match?.applications ?? []
  const own = named.filter((name) => !isCatalogueApplication(name))
  if (!own.length) return
  const rows = await tx
    .select({ name: applications.name })
    .from(applications)
    .where(and(eq(applications.orgId, orgId), inArray(applications.name, own)))
  const defined = new Set(rows.map((r) => r.name))
  const errors = named.flatMap((name, i) =>
    isCatalogueApplication(name) || defined.has(name)
      ? []
      : [
          {
            path: `match.applications.${i}`,
            message: `no application "${name}": use a builtin or default one, or define it with POST /v1/applications`,
          },
        ],
  )
  if (errors.length) throw invalid(errors)
}

/** The org's applications as agents get them (the desired state's `applications`). */
export async function desiredApplications(
  db: DbOrTx,
  orgId: string,
): Promise<DesiredApplication[]> {
  const rows = await db
    .select({ name: applications.name, ports: applications.ports, names: applications.names })
    .from(applications)
    .where(eq(applications.orgId, orgId))
    .orderBy(asc(applications.name))
  return rows
}
