/**
 * Traffic policies, evaluated by agents in priority order (lower number first); a
 * priority is unique within an org so that the order is never ambiguous.
 */
import { and, asc, eq, gt } from 'drizzle-orm'
import { newId } from '../../protocol/ids'
import { isoTime } from '../api/common'
import type { Policy, PolicyCreate, PolicyUpdate } from '../api/policies'
import type { DbOrTx } from '../db/client'
import { isUniqueViolation } from '../db/errors'
import { policies } from '../db/schema'
import { conflict, notFound } from '../errors'
import { assertApplicationsDefined } from './applications'
import { recordAudit } from './audit'
import { type Actor, announce, type ServiceContext } from './context'
import { decodeCursor, type PageRequest, toPage } from './pagination'
import { bumpOrg } from './revisions'
import { assertScorerExists } from './scorers'
import { assertVersion } from './versioning'

type PolicyRow = typeof policies.$inferSelect

export function toPolicy(row: PolicyRow): Policy {
  return {
    id: row.id,
    name: row.name,
    priority: row.priority,
    match: row.match,
    action: row.action,
    createdAt: isoTime(row.createdAt)!,
    updatedAt: isoTime(row.updatedAt)!,
    version: row.version,
  }
}

async function findPolicyRow(tx: DbOrTx, orgId: string, policyId: string) {
  const [row] = await tx
    .select()
    .from(policies)
    .where(and(eq(policies.orgId, orgId), eq(policies.id, policyId)))
  if (!row) throw notFound('policy', policyId)
  return row
}

async function assertUnique(
  tx: DbOrTx,
  orgId: string,
  fields: { name?: string | undefined; priority?: number | undefined },
  exceptId?: string,
) {
  if (fields.priority !== undefined) {
    const [other] = await tx
      .select({ id: policies.id })
      .from(policies)
      .where(and(eq(policies.orgId, orgId), eq(policies.priority, fields.priority)))
    if (other && other.id !== exceptId) {
      throw conflict(`priority ${fields.priority} is taken by policy ${other.id}`, {
        field: 'priority',
      })
    }
  }
  if (fields.name !== undefined) {
    const [other] = await tx
      .select({ id: policies.id })
      .from(policies)
      .where(and(eq(policies.orgId, orgId), eq(policies.name, fields.name)))
    if (other && other.id !== exceptId) {
      throw conflict(`a policy named "${fields.name}" already exists`, { field: 'name' })
    }
  }
}

function rethrow(error: unknown): never {
  if (isUniqueViolation(error)) throw conflict('the policy conflicts with another one')
  throw error
}

export async function createPolicy(ctx: ServiceContext, actor: Actor, input: PolicyCreate) {
  const now = ctx.clock.now()
  const id = newId('policy', now)
  try {
    const { policy, bumped } = await ctx.db.transaction(async (tx) => {
      await assertUnique(tx, actor.orgId, input)
      await assertApplicationsDefined(tx, actor.orgId, input.match)
      await assertScorerExists(tx, actor.orgId, input.action)
      const [row] = await tx
        .insert(policies)
        .values({ id, orgId: actor.orgId, ...input, createdAt: now, updatedAt: now })
        .returning()
      await recordAudit(tx, actor, now, {
        action: 'policy.created',
        objectType: 'policy',
        objectId: id,
      })
      return { policy: toPolicy(row!), bumped: await bumpOrg(tx, actor.orgId) }
    })
    announce(ctx, bumped)
    return policy
  } catch (error) {
    rethrow(error)
  }
}

export async function listPolicies(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(policies)
    .where(and(eq(policies.orgId, actor.orgId), after ? gt(policies.id, after) : undefined))
    .orderBy(asc(policies.id))
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toPolicy)
}

export async function getPolicy(ctx: ServiceContext, actor: Actor, policyId: string) {
  return toPolicy(await findPolicyRow(ctx.db, actor.orgId, policyId))
}

export async function updatePolicy(
  ctx: ServiceContext,
  actor: Actor,
  policyId: string,
  patch: PolicyUpdate,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  try {
    const { policy, bumped } = await ctx.db.transaction(async (tx) => {
      const current = await findPolicyRow(tx, actor.orgId, policyId)
      assertVersion(ifMatch, current.version, `policy ${policyId}`)
      await assertUnique(tx, actor.orgId, patch, policyId)
      await assertApplicationsDefined(tx, actor.orgId, patch.match)
      await assertScorerExists(tx, actor.orgId, patch.action)
      const [row] = await tx
        .update(policies)
        .set({ ...patch, updatedAt: now, version: current.version + 1 })
        .where(eq(policies.id, policyId))
        .returning()
      await recordAudit(tx, actor, now, {
        action: 'policy.updated',
        objectType: 'policy',
        objectId: policyId,
        details: { fields: Object.keys(patch) },
      })
      return { policy: toPolicy(row!), bumped: await bumpOrg(tx, actor.orgId) }
    })
    announce(ctx, bumped)
    return policy
  } catch (error) {
    rethrow(error)
  }
}

export async function deletePolicy(
  ctx: ServiceContext,
  actor: Actor,
  policyId: string,
  ifMatch: '*' | number[] | undefined,
) {
  const now = ctx.clock.now()
  const bumped = await ctx.db.transaction(async (tx) => {
    const current = await findPolicyRow(tx, actor.orgId, policyId)
    assertVersion(ifMatch, current.version, `policy ${policyId}`)
    await tx.delete(policies).where(eq(policies.id, policyId))
    await recordAudit(tx, actor, now, {
      action: 'policy.deleted',
      objectType: 'policy',
      objectId: policyId,
    })
    return bumpOrg(tx, actor.orgId)
  })
  announce(ctx, bumped)
}
