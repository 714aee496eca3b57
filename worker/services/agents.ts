/**
 * Agents as operators see them: list, inspect, revoke. Revoking is immediate: the agent's
 * next signed request gets 401 agent-revoked, and its peers drop it at their next sync.
 */
import { and, asc, eq, gt, isNull } from 'drizzle-orm'
import { isoTime } from '../api/common'
import type { AgentView } from '../api/enrollment'
import { agents } from '../db/schema'
import { notFound } from '../errors'
import type { AgentRow } from './agent-auth'
import { isOnline } from './agent-settings'
import { recordAudit } from './audit'
import { type Actor, announce, type ServiceContext } from './context'
import { decodeCursor, type PageRequest, toPage } from './pagination'
import { bumpForPeeringChange } from './revisions'
import { findSiteRow } from './sites'

export function toAgentView(row: AgentRow, now: number): AgentView {
  return {
    id: row.id,
    siteId: row.siteId,
    hostname: row.hostname,
    agentVersion: row.agentVersion,
    identityPublicKey: row.identityPublicKey,
    wireguardPublicKey: row.wireguardPublicKey,
    enrolledAt: isoTime(row.enrolledAt)!,
    revokedAt: isoTime(row.revokedAt),
    lastSeenAt: isoTime(row.lastSeenAt),
    status:
      row.revokedAt !== null ? 'revoked' : isOnline(row.lastSeenAt, now) ? 'online' : 'offline',
    appliedRevision: row.appliedRevision,
    uplinkStates: row.uplinkStates ?? null,
  }
}

export async function listAgents(
  ctx: ServiceContext,
  actor: Actor,
  page: PageRequest & { siteId?: string | undefined },
) {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select()
    .from(agents)
    .where(
      and(
        eq(agents.orgId, actor.orgId),
        page.siteId ? eq(agents.siteId, page.siteId) : undefined,
        after ? gt(agents.id, after) : undefined,
      ),
    )
    .orderBy(asc(agents.id))
    .limit(page.limit + 1)
  const now = ctx.clock.now()
  return toPage(rows, page.limit, (row) => toAgentView(row, now))
}

async function findAgentRow(ctx: ServiceContext, actor: Actor, agentId: string) {
  const [row] = await ctx.db
    .select()
    .from(agents)
    .where(and(eq(agents.orgId, actor.orgId), eq(agents.id, agentId)))
  if (!row) throw notFound('agent', agentId)
  return row
}

export async function getAgent(ctx: ServiceContext, actor: Actor, agentId: string) {
  return toAgentView(await findAgentRow(ctx, actor, agentId), ctx.clock.now())
}

export async function revokeAgent(ctx: ServiceContext, actor: Actor, agentId: string) {
  const now = ctx.clock.now()
  const bumped = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(agents)
      .where(and(eq(agents.orgId, actor.orgId), eq(agents.id, agentId)))
    if (!row) throw notFound('agent', agentId)
    if (row.revokedAt !== null) return []
    const site = await findSiteRow(tx, actor.orgId, row.siteId)
    // Bump while the agent is still active, so its peers are among the bumped sites.
    const bumped = await bumpForPeeringChange(tx, actor.orgId, site)
    await tx
      .update(agents)
      .set({ revokedAt: now })
      .where(and(eq(agents.id, agentId), isNull(agents.revokedAt)))
    await recordAudit(tx, actor, now, {
      action: 'agent.revoked',
      objectType: 'agent',
      objectId: agentId,
      details: { siteId: row.siteId },
    })
    return bumped
  })
  announce(ctx, bumped)
}
