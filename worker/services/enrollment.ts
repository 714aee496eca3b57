/**
 * Enrollment: an operator mints a token for a site; the agent on that site presents it
 * once with its public keys and becomes the site's agent. Tokens are stored hashed and
 * consumed with a conditional update, so two agents racing for a one-use token cannot
 * both win. A new enrollment replaces (revokes) the site's previous agent.
 */
import { and, asc, eq, gt, isNull, lt, sql } from 'drizzle-orm'
import type { EnrollRequest, EnrollResponse } from '../../protocol/agent'
import { newId } from '../../protocol/ids'
import { PROTOCOL_VERSION } from '../../protocol/version'
import { isoTime } from '../api/common'
import type { EnrollmentTokenCreate } from '../api/enrollment'
import { uniqueViolationMessage } from '../db/errors'
import { agents, enrollmentTokens, orgs, sites, uplinks } from '../db/schema'
import { conflict, notFound, ProblemError } from '../errors'
import { recordAudit } from './audit'
import { type Actor, announce, type ServiceContext } from './context'
import { allocateOverlayAddress } from './ipam'
import { decodeCursor, type PageRequest, toPage } from './pagination'
import { bumpForPeeringChange } from './revisions'
import { randomSecret, sha256Hex } from './secrets'
import { findSiteRow } from './sites'
import { createUplink } from './uplinks'

type TokenRow = typeof enrollmentTokens.$inferSelect
type Tx = Parameters<Parameters<ServiceContext['db']['transaction']>[0]>[0]

const toTokenView = (row: TokenRow) => ({
  id: row.id,
  siteId: row.siteId,
  expiresAt: isoTime(row.expiresAt)!,
  maxUses: row.maxUses,
  uses: row.uses,
  createdAt: isoTime(row.createdAt)!,
  revokedAt: isoTime(row.revokedAt),
})

export async function createEnrollmentToken(
  ctx: ServiceContext,
  actor: Actor,
  siteId: string,
  input: EnrollmentTokenCreate,
) {
  const now = ctx.clock.now()
  const secret = randomSecret('pet')
  return ctx.db.transaction(async (tx) => {
    await findSiteRow(tx, actor.orgId, siteId)
    const [row] = await tx
      .insert(enrollmentTokens)
      .values({
        id: newId('enrollment', now),
        orgId: actor.orgId,
        siteId,
        tokenHash: await sha256Hex(secret),
        expiresAt: now + input.expiresInSeconds * 1000,
        maxUses: input.maxUses,
        createdAt: now,
      })
      .returning()
    await recordAudit(tx, actor, now, {
      action: 'enrollment-token.created',
      objectType: 'enrollment-token',
      objectId: row!.id,
      details: { siteId, maxUses: input.maxUses },
    })
    return { ...toTokenView(row!), token: secret }
  })
}

export async function listEnrollmentTokens(
  ctx: ServiceContext,
  actor: Actor,
  siteId: string,
  page: PageRequest,
) {
  await findSiteRow(ctx.db, actor.orgId, siteId)
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(enrollmentTokens)
    .where(
      and(eq(enrollmentTokens.siteId, siteId), after ? gt(enrollmentTokens.id, after) : undefined),
    )
    .orderBy(asc(enrollmentTokens.id))
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toTokenView)
}

export async function revokeEnrollmentToken(ctx: ServiceContext, actor: Actor, tokenId: string) {
  const now = ctx.clock.now()
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(enrollmentTokens)
      .where(and(eq(enrollmentTokens.id, tokenId), eq(enrollmentTokens.orgId, actor.orgId)))
    if (!row) throw notFound('enrollment token', tokenId)
    if (row.revokedAt !== null) return
    await tx
      .update(enrollmentTokens)
      .set({ revokedAt: now })
      .where(eq(enrollmentTokens.id, tokenId))
    await recordAudit(tx, actor, now, {
      action: 'enrollment-token.revoked',
      objectType: 'enrollment-token',
      objectId: tokenId,
    })
  })
}

function unusable(detail: string): ProblemError {
  return new ProblemError('enrollment-token-invalid', detail)
}

export async function enroll(
  ctx: ServiceContext,
  request: EnrollRequest,
  /** The version the agent speaks (a served one): the answer says it is the one served. */
  protocolVersion = PROTOCOL_VERSION,
): Promise<EnrollResponse> {
  const now = ctx.clock.now()
  const tokenHash = await sha256Hex(request.token)
  // Claimed uplink endpoints were validated by the route (protocol/endpoint.ts): a bad one
  // is a 422 before any token is looked at.
  const { response, bumped } = await ctx.db.transaction(async (tx) => {
    const [token] = await tx
      .select()
      .from(enrollmentTokens)
      .where(eq(enrollmentTokens.tokenHash, tokenHash))
    if (!token) throw unusable('the enrollment token is not valid')
    if (token.revokedAt !== null) throw unusable('the enrollment token was revoked')
    if (token.expiresAt <= now) throw unusable('the enrollment token has expired')
    // Conditional consume: a token with uses left is taken by exactly one enrollment.
    const consumed = await tx
      .update(enrollmentTokens)
      .set({ uses: sql`${enrollmentTokens.uses} + 1` })
      .where(and(eq(enrollmentTokens.id, token.id), lt(enrollmentTokens.uses, token.maxUses)))
      .returning({ id: enrollmentTokens.id })
    if (consumed.length === 0) throw unusable('the enrollment token has been used up')

    const [keyInUse] = await tx
      .select({ id: agents.id })
      .from(agents)
      .where(and(eq(agents.identityPublicKey, request.identityPublicKey), isNull(agents.revokedAt)))
    if (keyInUse) throw conflict('this identity key already belongs to an active agent')

    const site = await findSiteRow(tx, token.orgId, token.siteId)
    const [org] = await tx.select().from(orgs).where(eq(orgs.id, token.orgId))
    const overlayAddress = site.overlayAddress ?? (await allocateOverlayAddress(tx, token.orgId))
    if (!site.overlayAddress) {
      await tx.update(sites).set({ overlayAddress }).where(eq(sites.id, site.id))
    }

    const agentId = newId('agent', now)
    const actor: Actor = {
      id: `enrollment:${token.id}`,
      orgId: token.orgId,
      role: 'operator',
      instanceAdmin: false,
    }
    // The previous agent of the site, if any, is replaced.
    await tx
      .update(agents)
      .set({ revokedAt: now })
      .where(and(eq(agents.siteId, site.id), isNull(agents.revokedAt)))
    // Checked after the replacement above, so a site's own re-enrollment may keep its key.
    await assertWireguardKeyFree(tx, request.wireguardPublicKey)
    try {
      await tx.insert(agents).values({
        id: agentId,
        orgId: token.orgId,
        siteId: site.id,
        identityPublicKey: request.identityPublicKey,
        wireguardPublicKey: request.wireguardPublicKey,
        hostname: request.hostname,
        agentVersion: request.agentVersion,
        enrolledAt: now,
      })
    } catch (error) {
      // A unique index caught a concurrent enrollment that passed the checks above together
      // with this one: a 409, never a 500.
      const violation = uniqueViolationMessage(error)
      if (violation === undefined) throw error
      if (violation.includes('wireguard_public_key')) throw wireguardKeyTaken()
      throw conflict('another enrollment changed this site at the same time; retry')
    }
    await upsertClaimedUplinks(ctx, tx, actor, site.id, request.uplinks, now)
    await recordAudit(tx, actor, now, {
      action: 'agent.enrolled',
      objectType: 'agent',
      objectId: agentId,
      details: { siteId: site.id, hostname: request.hostname },
    })
    return {
      response: {
        agentId,
        siteId: site.id,
        orgId: token.orgId,
        overlayAddress,
        overlayPool: org!.overlayPool,
        protocolVersion,
      },
      bumped: await bumpForPeeringChange(tx, token.orgId, site),
    }
  })
  announce(ctx, bumped)
  return response
}

const wireguardKeyTaken = () =>
  conflict('this WireGuard public key already belongs to an active agent', {
    errors: [{ path: 'wireguardPublicKey', message: 'already in use by an active agent' }],
  })

/**
 * A WireGuard public key identifies exactly one peer (docs/security.md, finding 3): with two
 * active agents sharing one, every peer gets two entries with one key and traffic for one
 * site goes to the other. The check is instance-wide, not per org: a key copied from
 * another org's peer list is no more legitimate. Revoked agents' keys are free again.
 */
async function assertWireguardKeyFree(tx: Tx, key: string) {
  const [holder] = await tx
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.wireguardPublicKey, key), isNull(agents.revokedAt)))
  if (holder) throw wireguardKeyTaken()
}

/** The agent reports its uplinks: update those the operator already declared, add the rest. */
async function upsertClaimedUplinks(
  ctx: ServiceContext,
  tx: Tx,
  actor: Actor,
  siteId: string,
  claims: EnrollRequest['uplinks'],
  now: number,
) {
  for (const claim of claims) {
    const [existing] = await tx
      .select()
      .from(uplinks)
      .where(and(eq(uplinks.siteId, siteId), eq(uplinks.name, claim.name)))
    if (existing) {
      await tx
        .update(uplinks)
        .set({
          interface: claim.interface,
          ...(claim.endpoint !== undefined ? { endpoint: claim.endpoint } : {}),
          updatedAt: now,
          version: existing.version + 1,
        })
        .where(eq(uplinks.id, existing.id))
    } else {
      await createUplink(
        ctx,
        actor,
        siteId,
        { name: claim.name, interface: claim.interface, endpoint: claim.endpoint ?? null },
        tx,
      )
    }
  }
}
