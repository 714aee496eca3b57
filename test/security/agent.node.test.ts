/**
 * Actor: an enrolled agent (docs/security.md, finding 5). Its requests are limited per agent, and
 * only once its signature verified (a forger naming it spends nothing of its budget); its
 * org's events are capped per minute (429 `event-quota-exceeded` with Retry-After); and
 * what it stores does not stay for ever: events, finished webhook deliveries and the audit
 * log are deleted past their retention by the periodic pass. Node checks: small limits,
 * injected clocks (the app's clock moves by days for retention).
 */
import { count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, events, webhookDeliveries } from '../../worker/db/schema'
import { silentLogger } from '../../worker/logger'
import { applyRetention, DEFAULT_RETENTION } from '../../worker/services/retention'
import { periodicPass } from '../../worker/services/webhooks/dispatcher'
import { expectProblem, newOrg } from '../api/harness'
import { enrolledSites } from '../api/suite-agents'
import { type LimitedTarget, ManualClock, startLimitedTarget } from './limited-target'

const AGENT_LIMIT = 10
const EVENTS_PER_MINUTE = 20
const DAY = 86_400_000

const heartbeat = { agentVersion: '0.1.0', uptimeSeconds: 1, uplinks: [] }

describe('security: agent (rate limits, event quota)', () => {
  const clock = new ManualClock()
  let t: LimitedTarget
  beforeAll(async () => {
    t = await startLimitedTarget({
      limits: { agent: AGENT_LIMIT },
      quotas: { eventsPerMinute: EVENTS_PER_MINUTE },
      clock,
    })
  })
  afterAll(() => t.node.close())

  it('finding 5: requests are limited per agent, after the signature; a forger spends nothing', async () => {
    const target = t.from('192.0.2.30')
    const { operator } = await newOrg(target)
    const sites = await enrolledSites(operator, target, [
      { name: 'a', prefix: '10.31.0.0/16' },
      { name: 'b', prefix: '10.32.0.0/16' },
    ])
    const a = sites.a!.agent
    const b = sites.b!.agent
    // Requests naming agent a, signed with b's key: refused (401), and a's budget is intact.
    for (let i = 0; i < AGENT_LIMIT; i++) {
      const forged = await a.request('POST', '/v1/agent/heartbeat', heartbeat, {
        key: b.keys.identity.privateKey,
      })
      expectProblem(forged, 401, 'agent-signature-invalid')
    }
    for (let i = 0; i < AGENT_LIMIT; i++) {
      const res = await a.request('POST', '/v1/agent/heartbeat', heartbeat)
      expect(res.status, JSON.stringify(res.body)).toBe(204)
    }
    const refused = await a.request('POST', '/v1/agent/heartbeat', heartbeat)
    expectProblem(refused, 429, 'rate-limited')
    expect(refused.body.detail).toContain('PATRONUS_RATE_LIMIT_AGENT')
    // 10 per minute: one request earns back in 6 s.
    expect(refused.headers.get('retry-after')).toBe('6')
    // Over the limit, a's requests are refused before the signature is checked.
    expectProblem(await a.config(), 429, 'rate-limited')
    // b has its own budget.
    expect((await b.request('POST', '/v1/agent/heartbeat', heartbeat)).status).toBe(204)
    t.limiterClock.advance(6000)
    expect((await a.request('POST', '/v1/agent/heartbeat', heartbeat)).status).toBe(204)
  })

  it('finding 5: an org records at most PATRONUS_QUOTA_EVENTS_PER_MINUTE events per minute (429)', async () => {
    const target = t.from('192.0.2.31')
    const { operator, viewer } = await newOrg(target)
    const sites = await enrolledSites(operator, target, [
      { name: 'a', prefix: '10.33.0.0/16' },
      { name: 'b', prefix: '10.34.0.0/16' },
    ])
    const path = { peerSiteId: sites.b!.siteId, localSlot: 0, remoteSlot: 0 }
    const batch = (n: number) => ({
      events: Array.from({ length: n }, () => ({ type: 'path.down', at: clock.now(), path })),
    })
    const post = (n: number) => sites.a!.agent.request('POST', '/v1/agent/events', batch(n))
    // The control plane's own events of this minute (sites created, agents enrolled) count.
    const before = (await viewer.get('/v1/events?limit=100')).body.items.length as number
    expect(before).toBeGreaterThan(0)
    expect((await post(EVENTS_PER_MINUTE - before)).status).toBe(201)

    const over = await post(1)
    expectProblem(over, 429, 'event-quota-exceeded')
    expect(over.body).toMatchObject({ quota: 'eventsPerMinute', limit: EVENTS_PER_MINUTE })
    expect(over.body.detail).toContain('PATRONUS_QUOTA_EVENTS_PER_MINUTE')
    const retryAfter = Number(over.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // Operators' hand-raised events are in the same quota.
    expectProblem(
      await operator.post('/v1/events', { type: 'path.down' }),
      429,
      'event-quota-exceeded',
    )
    // Nothing of the refused batch was stored.
    expect((await viewer.get('/v1/events?limit=100')).body.items).toHaveLength(EVENTS_PER_MINUTE)
    // Changes still go through: their control-plane events are never refused.
    expect(
      (await operator.post('/v1/sites', { name: 'c', prefixes: ['10.35.0.0/16'] })).status,
    ).toBe(201)

    // After the Retry-After, the window has moved on.
    clock.advance(retryAfter * 1000)
    expect((await post(1)).status).toBe(201)
  })
})

describe('security: agent (retention)', () => {
  const clock = new ManualClock()
  let t: LimitedTarget
  beforeAll(async () => {
    t = await startLimitedTarget({ clock })
  })
  afterAll(() => t.node.close())

  const rows = async (
    table: typeof events | typeof auditLog | typeof webhookDeliveries,
    orgId: string,
  ) => {
    const [row] = await t.node.deps.db
      .select({ n: count() })
      .from(table)
      .where(eq(table.orgId, orgId))
    return row?.n ?? 0
  }

  it('finding 5: events, finished deliveries and audit entries are deleted past their retention', async () => {
    const { db } = t.node.deps
    const { operator, admin, orgId } = await newOrg(t.from('192.0.2.40'))
    const hook = await admin.post('/v1/webhooks', {
      url: 'https://hooks.example.com/r',
      events: ['*'],
    })
    expect(hook.status, JSON.stringify(hook.body)).toBe(201)
    for (let i = 0; i < 3; i++) {
      expect((await operator.post('/v1/events', { type: 'path.down' })).status).toBe(201)
    }
    // Day 0: three deliveries finished, the others still pending.
    const deliveries = await db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.orgId, orgId))
    expect(deliveries.length).toBeGreaterThanOrEqual(3)
    for (const d of deliveries.slice(0, 3)) {
      await db
        .update(webhookDeliveries)
        .set({ status: 'succeeded', completedAt: clock.now() })
        .where(eq(webhookDeliveries.id, d.id))
    }
    const eventsAtStart = await rows(events, orgId)
    const auditAtStart = await rows(auditLog, orgId)
    expect(auditAtStart).toBeGreaterThan(0)

    const pass = () =>
      periodicPass({
        db,
        clock,
        logger: silentLogger,
        // The pending deliveries are attempted in the same pass; the receiver says 200.
        transport: async () => ({ status: 200, retryAfter: null, body: '' }),
        allowPrivate: false,
        owner: 'test',
        retention: DEFAULT_RETENTION,
      })

    clock.advance(7 * DAY + 60_000)
    await pass()
    // Finished more than 7 days ago: gone. Pending ones were kept (and delivered just now).
    expect(await rows(webhookDeliveries, orgId)).toBe(deliveries.length - 3)
    expect(await rows(events, orgId)).toBe(eventsAtStart)

    clock.advance(23 * DAY)
    expect((await operator.post('/v1/events', { type: 'path.up' })).status).toBe(201)
    await pass()
    // Recorded more than 30 days ago: gone; today's event stays. The audit log stays a year.
    expect(await rows(events, orgId)).toBe(1)
    expect(await rows(auditLog, orgId)).toBe(auditAtStart)
    // The deliveries made at day 7 are 23 days old now.
    expect(await rows(webhookDeliveries, orgId)).toBe(1)

    clock.advance(336 * DAY)
    await pass()
    expect(await rows(auditLog, orgId)).toBe(0)
  })

  it('finding 5: retention deletes in bounded batches; one pass takes at most 20 of them', async () => {
    const { db } = t.node.deps
    const { operator, orgId } = await newOrg(t.from('192.0.2.41'))
    for (let i = 0; i < 50; i++) {
      expect((await operator.post('/v1/events', { type: 'path.down' })).status).toBe(201)
    }
    clock.advance(31 * DAY)
    const retention = { ...DEFAULT_RETENTION, auditDays: 10_000 }
    // Batches of 2: 20 batches, 40 events per pass, however many there are.
    const first = await applyRetention(db, clock.now(), retention, 2)
    expect(first.events).toBe(40)
    const second = await applyRetention(db, clock.now(), retention, 2)
    expect(second.events).toBeGreaterThanOrEqual(10)
    expect(await rows(events, orgId)).toBe(0)
  })
})
