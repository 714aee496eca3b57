/**
 * Event batches are written MAX_EVENTS_PER_BATCH per transaction, so the 500-event batches
 * of protocol v1 agents hold the single writer no longer than a v2 batch; the quota is
 * checked for the whole batch first, so a refused batch stores nothing.
 */
import { count } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_EVENTS_PER_BATCH, MAX_EVENTS_PER_BATCH_V1 } from '../../protocol/batch-limits'
import type { AgentEvent } from '../../protocol/telemetry'
import type { Db } from '../db/client'
import { applyMigrations } from '../db/migrate'
import { openNodeDb } from '../db/node'
import { events } from '../db/schema'
import { ProblemError } from '../errors'
import type { AgentRow } from './agent-auth'
import { ingestAgentEvents } from './agent-events'

const NOW = 1_800_000_000_000
const agent = { id: 'agt_1', orgId: 'org_1', siteId: 'site_1' } as AgentRow
let db: Db
let close = () => {}

beforeEach(async () => {
  const opened = await openNodeDb({ url: ':memory:' })
  db = opened.db
  close = opened.close
  await applyMigrations(db)
})
afterEach(() => close())

const batch = (n: number): AgentEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: i % 2 ? 'path.up' : 'path.down', at: NOW }))

async function stored(): Promise<number> {
  const [row] = await db.select({ n: count() }).from(events)
  return row?.n ?? 0
}

describe('agent event batches', () => {
  it('writes a v1 batch of 500 in transactions of at most 100', async () => {
    const transactions = vi.spyOn(db, 'transaction')
    const ctx = { db, clock: { now: () => NOW } } as never
    const result = await ingestAgentEvents(ctx, agent, batch(MAX_EVENTS_PER_BATCH_V1))
    expect(result.ids).toHaveLength(MAX_EVENTS_PER_BATCH_V1)
    expect(await stored()).toBe(MAX_EVENTS_PER_BATCH_V1)
    expect(transactions).toHaveBeenCalledTimes(MAX_EVENTS_PER_BATCH_V1 / MAX_EVENTS_PER_BATCH)
    transactions.mockClear()
    await ingestAgentEvents(ctx, agent, batch(MAX_EVENTS_PER_BATCH))
    expect(transactions).toHaveBeenCalledTimes(1)
  })

  it('checks the quota for the whole batch before writing any of it', async () => {
    const quotas = { sites: 10, webhooks: 10, eventsPerMinute: 450 }
    const ctx = { db, clock: { now: () => NOW }, quotas } as never
    const refused = ingestAgentEvents(ctx, agent, batch(MAX_EVENTS_PER_BATCH_V1))
    await expect(refused).rejects.toBeInstanceOf(ProblemError)
    await expect(refused).rejects.toMatchObject({ kind: 'event-quota-exceeded' })
    expect(await stored()).toBe(0)
  })
})
