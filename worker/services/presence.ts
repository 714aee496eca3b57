/**
 * Agent presence: `agent.online` when a heartbeat arrives from an agent not known to be
 * online, `agent.offline` when a sweep finds one silent for MISSED_HEARTBEATS_OFFLINE
 * intervals. The `presence` column remembers what was last announced, so each change
 * raises exactly one event even with several control-plane instances (the conditional
 * update decides which instance announces it).
 */
import { and, eq, isNull, lt, ne, or } from 'drizzle-orm'
import type { Heartbeat } from '../../protocol/agent'
import { agents } from '../db/schema'
import type { AgentRow } from './agent-auth'
import { AGENT_SETTINGS, MISSED_HEARTBEATS_OFFLINE } from './agent-settings'
import type { ServiceContext } from './context'
import { recordEvent } from './events'

const OFFLINE_AFTER_MS = MISSED_HEARTBEATS_OFFLINE * AGENT_SETTINGS.heartbeatIntervalSeconds * 1000

export async function recordHeartbeat(ctx: ServiceContext, agent: AgentRow, beat: Heartbeat) {
  const now = ctx.clock.now()
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(agents)
      .set({
        lastSeenAt: now,
        agentVersion: beat.agentVersion,
        uptimeSeconds: Math.floor(beat.uptimeSeconds),
        appliedRevision: beat.revision ?? null,
        uplinkStates: beat.uplinks,
      })
      .where(eq(agents.id, agent.id))
    const cameOnline = await tx
      .update(agents)
      .set({ presence: 'online' })
      .where(
        and(eq(agents.id, agent.id), or(isNull(agents.presence), ne(agents.presence, 'online'))),
      )
      .returning({ id: agents.id })
    if (cameOnline.length > 0) {
      await recordEvent(
        tx,
        {
          orgId: agent.orgId,
          siteId: agent.siteId,
          type: 'agent.online',
          at: now,
          source: 'control-plane',
          details: { agentId: agent.id, agentVersion: beat.agentVersion },
        },
        now,
      )
    }
  })
}

/** Marks silent agents offline (one event each); returns how many. Run every ~30 s. */
export async function sweepPresence(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now()
  return ctx.db.transaction(async (tx) => {
    const silent = await tx
      .update(agents)
      .set({ presence: 'offline' })
      .where(
        and(
          eq(agents.presence, 'online'),
          isNull(agents.revokedAt),
          lt(agents.lastSeenAt, now - OFFLINE_AFTER_MS),
        ),
      )
      .returning({
        id: agents.id,
        orgId: agents.orgId,
        siteId: agents.siteId,
        lastSeenAt: agents.lastSeenAt,
      })
    for (const a of silent) {
      await recordEvent(
        tx,
        {
          orgId: a.orgId,
          siteId: a.siteId,
          type: 'agent.offline',
          at: now,
          source: 'control-plane',
          details: { agentId: a.id, lastSeenAt: a.lastSeenAt },
        },
        now,
      )
    }
    return silent.length
  })
}
