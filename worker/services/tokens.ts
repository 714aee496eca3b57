/**
 * API tokens: random, shown once, stored as SHA-256 hashes, scoped to one org with a
 * role. Revocation is immediate: the next request with the token is a 401.
 *
 * Instance-admin tokens live in org `default` but belong to the instance (docs/security.md,
 * finding 6): only an instance admin sees or revokes them, as if they did not exist for
 * the org's own admins, and the last one cannot be revoked, since nothing else can create
 * orgs and bootstrap never runs again on a database that has one. Losing it anyway is
 * recovered on the database host (`npm run admin -- reset-token`, instance-admin.ts).
 */
import { and, asc, count, eq, gt, isNull, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import { newId } from '../../protocol/ids'
import { isoTime } from '../api/common'
import type { Token, TokenCreate } from '../api/orgs'
import type { DbOrTx } from '../db/client'
import { apiTokens, orgs } from '../db/schema'
import { conflict, notFound, ProblemError } from '../errors'
import { recordAudit } from './audit'
import type { Actor, Role, ServiceContext } from './context'
import { decodeCursor, type PageRequest, toPage } from './pagination'
import { randomSecret, sha256Hex } from './secrets'

/** last_used_at is refreshed at most this often, so reads do not each cost a write. */
const LAST_USED_GRANULARITY_MS = 60_000

type TokenRow = typeof apiTokens.$inferSelect

export const toToken = (row: TokenRow): Token => ({
  id: row.id,
  orgId: row.orgId,
  name: row.name,
  role: row.role,
  instanceAdmin: row.instanceAdmin,
  createdAt: isoTime(row.createdAt)!,
  lastUsedAt: isoTime(row.lastUsedAt),
  revokedAt: isoTime(row.revokedAt),
})

export async function insertToken(
  tx: DbOrTx,
  now: number,
  fields: { orgId: string; name: string; role: Role; instanceAdmin?: boolean; secret?: string },
) {
  const secret = fields.secret ?? randomSecret('pat')
  const [row] = await tx
    .insert(apiTokens)
    .values({
      id: newId('token', now),
      orgId: fields.orgId,
      name: fields.name,
      role: fields.role,
      instanceAdmin: fields.instanceAdmin ?? false,
      tokenHash: await sha256Hex(secret),
      createdAt: now,
    })
    .returning()
  return { row: row!, secret }
}

export async function createToken(
  ctx: ServiceContext,
  actor: Actor,
  orgId: string,
  input: TokenCreate,
) {
  const mayIssue = actor.instanceAdmin || (actor.role === 'admin' && actor.orgId === orgId)
  const now = ctx.clock.now()
  return ctx.db.transaction(async (tx) => {
    const [org] = await tx.select({ id: orgs.id }).from(orgs).where(eq(orgs.id, orgId))
    // Another org's id is a 404 for a non-instance-admin, as if it did not exist.
    if (!org || (!actor.instanceAdmin && actor.orgId !== orgId)) throw notFound('org', orgId)
    if (!mayIssue) throw new ProblemError('forbidden', 'issuing tokens needs the admin role')
    const { row, secret } = await insertToken(tx, now, { orgId, ...input })
    await recordAudit(
      tx,
      actor,
      now,
      {
        action: 'token.created',
        objectType: 'token',
        objectId: row.id,
        details: { role: input.role },
      },
      orgId,
    )
    return { ...toToken(row), token: secret }
  })
}

export async function listTokens(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.orgId, actor.orgId),
        actor.instanceAdmin ? undefined : eq(apiTokens.instanceAdmin, false),
        after ? gt(apiTokens.id, after) : undefined,
      ),
    )
    .orderBy(asc(apiTokens.id))
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toToken)
}

export async function revokeToken(ctx: ServiceContext, actor: Actor, tokenId: string) {
  const now = ctx.clock.now()
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx.select().from(apiTokens).where(eq(apiTokens.id, tokenId))
    const visible = actor.instanceAdmin || (row?.orgId === actor.orgId && !row.instanceAdmin)
    if (!row || !visible) throw notFound('token', tokenId)
    if (row.revokedAt !== null) return
    // One statement: two instance admins revoking each other at once cannot both win.
    const revoked = await tx
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(
        and(
          eq(apiTokens.id, tokenId),
          isNull(apiTokens.revokedAt),
          row.instanceAdmin ? sql`(${activeInstanceAdminTokens(tx)}) > 1` : undefined,
        ),
      )
      .returning({ id: apiTokens.id })
    if (revoked.length === 0) {
      if (!row.instanceAdmin) return
      throw conflict(
        'this is the last instance-admin token: issue another first (`npm run admin -- reset-token` on the database host), then revoke this one',
      )
    }
    await recordAudit(
      tx,
      actor,
      now,
      { action: 'token.revoked', objectType: 'token', objectId: tokenId },
      row.orgId,
    )
  })
}

/** A scalar subquery: how many instance-admin tokens are not revoked. */
function activeInstanceAdminTokens(tx: DbOrTx) {
  const others = alias(apiTokens, 'others')
  return tx
    .select({ n: count() })
    .from(others)
    .where(and(eq(others.instanceAdmin, true), isNull(others.revokedAt)))
}

/** Resolves a bearer token to its actor, or throws 401 saying what is wrong with it. */
export async function authenticateToken(ctx: ServiceContext, secret: string): Promise<Actor> {
  const [row] = await ctx.db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, await sha256Hex(secret)))
  if (!row) throw new ProblemError('unauthenticated', 'the API token is not valid')
  if (row.revokedAt !== null) throw new ProblemError('unauthenticated', 'the API token was revoked')
  const now = ctx.clock.now()
  if (row.lastUsedAt === null || now - row.lastUsedAt >= LAST_USED_GRANULARITY_MS) {
    await ctx.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id))
  }
  return { id: row.id, orgId: row.orgId, role: row.role, instanceAdmin: row.instanceAdmin }
}
