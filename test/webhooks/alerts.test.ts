/**
 * Alert rules over time: the app on Node with a movable clock, the periodic evaluator
 * called directly, and notifications read from the webhook outbox (the endpoint is never
 * drained here, so every enqueued message stays visible in its delivery log).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../../worker/app'
import { applyMigrations } from '../../worker/db/migrate'
import { openNodeDb } from '../../worker/db/node'
import { silentLogger } from '../../worker/logger'
import { evaluateAlerts } from '../../worker/services/alerts/periodic'
import { bootstrap } from '../../worker/services/bootstrap'
import type { ServiceContext } from '../../worker/services/context'
import { InProcessNotifier } from '../../worker/services/notifier'
import { claimDue, LEASE_MS } from '../../worker/services/webhooks/outbox'
import { type ApiTarget, type Client, newOrg } from '../api/harness'
import { enrolledSites } from '../api/suite-agents'

const ADMIN = 'alerts-admin-token-0123456789'
const MINUTE = 60_000
let offset = 0
const clock = { now: () => Date.now() + offset }
let target: ApiTarget
let services: Pick<ServiceContext, 'db' | 'clock'>
let close = () => {}

beforeAll(async () => {
  const opened = await openNodeDb({ url: ':memory:' })
  close = opened.close
  await applyMigrations(opened.db)
  await bootstrap({ db: opened.db, clock }, ADMIN)
  services = { db: opened.db, clock }
  const app = createApp({
    db: opened.db,
    clock,
    logger: silentLogger,
    ready: async () => {},
    version: 'test',
    notifier: new InProcessNotifier(),
    configPollIntervalMs: 1000,
    webhooks: { allowPrivate: true },
  })
  target = {
    adminToken: ADMIN,
    fetch: async (path, init) => app.fetch(new Request(`http://t${path}`, init)),
  }
})
afterAll(() => close())
beforeEach(() => {
  offset = 0
})

const evaluate = () => evaluateAlerts(services)

async function setup(rule: Record<string, unknown>) {
  const org = await newOrg(target)
  const hook = await org.operator.post('/v1/webhooks', {
    url: 'http://127.0.0.1:9/never-drained',
    events: ['alert.firing', 'alert.resolved'],
  })
  expect(hook.status).toBe(201)
  const site = (await org.operator.post('/v1/sites', { name: 'hq', labels: { tier: 'lab' } })).body
  const created = await org.operator.post('/v1/alert-rules', { name: 'rule', ...rule })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  /** alert.* messages enqueued so far, oldest first: [type, data]. */
  const sent = async () => {
    const page = await org.viewer.get(`/v1/webhooks/${hook.body.id}/deliveries?limit=500`)
    return page.body.items.reverse().map((d: { type: string }) => d.type) as string[]
  }
  return { ...org, siteId: site.id as string, ruleId: created.body.id as string, sent }
}

const down = (siteId: string, slot = 0, type = 'path.down') => ({
  type,
  siteId,
  details: { path: { peerSiteId: 'site_peer', localSlot: slot, remoteSlot: 0 } },
})

async function alertsOf(client: Client, ruleId: string) {
  return (await client.get(`/v1/alerts?ruleId=${ruleId}`)).body.items as Record<string, any>[]
}

describe('alert notifications', () => {
  it('one firing notification per incident, one resolve', async () => {
    const { operator, viewer, siteId, ruleId, sent } = await setup({ eventTypes: ['path.down'] })
    for (let i = 0; i < 3; i++) await operator.post('/v1/events', down(siteId))
    expect(await sent()).toEqual(['alert.firing'])
    await operator.post('/v1/events', down(siteId, 0, 'path.up'))
    expect(await sent()).toEqual(['alert.firing', 'alert.resolved'])
    const [alert] = await alertsOf(viewer, ruleId)
    expect(alert).toMatchObject({ status: 'resolved', eventCount: 3 })
    // A path.up with no open incident resolves nothing and sends nothing.
    await operator.post('/v1/events', down(siteId, 0, 'path.up'))
    expect(await sent()).toHaveLength(2)
  })

  it('a silence holds notifications back; when it ends early the alert is announced', async () => {
    const { operator, viewer, siteId, ruleId, sent } = await setup({ eventTypes: ['path.down'] })
    const silence = await operator.post('/v1/silences', {
      siteSelector: 'tier=lab',
      comment: 'maintenance',
      endsAt: new Date(clock.now() + 3_600_000).toISOString(),
    })
    expect(silence.status).toBe(201)
    await operator.post('/v1/events', down(siteId, 0))
    await operator.post('/v1/events', down(siteId, 1))
    await evaluate()
    expect(await sent()).toEqual([])
    // Resolved while silenced: nothing was announced, so no resolve either.
    await operator.post('/v1/events', down(siteId, 1, 'path.up'))
    expect(await sent()).toEqual([])
    await operator.delete(`/v1/silences/${silence.body.id}`)
    await evaluate()
    expect(await sent()).toEqual(['alert.firing'])
    await evaluate()
    expect(await sent()).toEqual(['alert.firing'])
    const firing = (await alertsOf(viewer, ruleId)).filter((a) => a.status === 'firing')
    expect(firing).toHaveLength(1)
    expect(firing[0]!.notifiedAt).not.toBeNull()
  })

  it('a silence that runs out on its own releases held alerts', async () => {
    const { operator, siteId, ruleId, sent } = await setup({ eventTypes: ['path.down'] })
    await operator.post('/v1/silences', {
      ruleId,
      comment: 'ten minutes',
      endsAt: new Date(clock.now() + 10 * MINUTE).toISOString(),
    })
    await operator.post('/v1/events', down(siteId))
    await evaluate()
    expect(await sent()).toEqual([])
    offset += 11 * MINUTE
    await evaluate()
    expect(await sent()).toEqual(['alert.firing'])
  })

  it('repeats un-acknowledged alerts; an acknowledgement stops repeats, not the resolve', async () => {
    const { operator, viewer, siteId, ruleId, sent } = await setup({
      eventTypes: ['agent.offline'],
      repeatIntervalSeconds: 600,
    })
    await operator.post('/v1/events', { type: 'agent.offline', siteId })
    offset += 5 * MINUTE
    await evaluate()
    expect(await sent()).toEqual(['alert.firing'])
    offset += 6 * MINUTE
    await evaluate()
    await evaluate()
    expect(await sent()).toEqual(['alert.firing', 'alert.firing'])
    const [alert] = await alertsOf(viewer, ruleId)
    expect((await operator.post(`/v1/alerts/${alert!.id}/ack`, undefined)).status).toBe(200)
    offset += 20 * MINUTE
    await evaluate()
    expect(await sent()).toHaveLength(2)
    await operator.post('/v1/events', { type: 'agent.online', siteId })
    expect(await sent()).toEqual(['alert.firing', 'alert.firing', 'alert.resolved'])
  })

  it('unpaired events resolve after the quiet period; new events extend it', async () => {
    const { operator, viewer, siteId, ruleId, sent } = await setup({
      eventTypes: ['path.sla_violation'],
      resolveAfterSeconds: 120,
    })
    await operator.post('/v1/events', down(siteId, 0, 'path.sla_violation'))
    offset += 90_000
    await operator.post('/v1/events', down(siteId, 0, 'path.sla_violation'))
    offset += 90_000
    await evaluate()
    expect((await alertsOf(viewer, ruleId))[0]).toMatchObject({ status: 'firing', eventCount: 2 })
    offset += 40_000
    await evaluate()
    expect((await alertsOf(viewer, ruleId))[0]!.status).toBe('resolved')
    expect(await sent()).toEqual(['alert.firing', 'alert.resolved'])
  })

  it('agent event batches reach the alert rules in the transaction that stores them, once', async () => {
    const org = await newOrg(target)
    const sites = await enrolledSites(org.operator, target, [
      { name: 'a', prefix: '10.1.0.0/16' },
      { name: 'b', prefix: '10.2.0.0/16' },
    ])
    const rule = await org.operator.post('/v1/alert-rules', {
      name: 'r',
      eventTypes: ['path.down'],
    })
    const path = { peerSiteId: sites.b!.siteId, localSlot: 0, remoteSlot: 0 }
    const posted = await sites.a!.agent.request('POST', '/v1/agent/events', {
      events: [
        { type: 'path.down', at: Date.now(), path },
        { type: 'path.down', at: Date.now(), path },
      ],
    })
    expect(posted.status).toBe(201)
    // No dispatcher pass in between: the request itself opened and grouped the alert.
    const alerts = await alertsOf(org.viewer, rule.body.id)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ eventCount: 2, siteId: sites.a!.siteId })
  })
})

describe('metric threshold rules', () => {
  it('fires per path over the window from the rollups and resolves when it clears', async () => {
    const org = await newOrg(target)
    const sites = await enrolledSites(org.operator, target, [
      { name: 'x', prefix: '10.11.0.0/16' },
      { name: 'y', prefix: '10.12.0.0/16' },
    ])
    const hook = await org.operator.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/never',
      events: ['alert.firing', 'alert.resolved'],
    })
    const rule = await org.operator.post('/v1/alert-rules', {
      name: 'lossy',
      metric: { name: 'lossPct', op: 'gt', threshold: 5, windowSeconds: 60 },
      siteIds: [sites.x!.siteId],
      severity: 'critical',
    })
    expect(rule.status).toBe(201)
    const y = sites.y!.siteId
    const sample = (at: number, slot: number, lossPct: number) => ({
      at,
      path: { peerSiteId: y, localSlot: slot, remoteSlot: 0 },
      state: 'up',
      rttMs: 20,
      jitterMs: 2,
      lossPct,
      mos: 4,
    })
    const post = (samples: unknown[]) =>
      sites.x!.agent.request('POST', '/v1/agent/telemetry', { samples, activePaths: [] })
    const t = clock.now()
    expect((await post([sample(t - 20_000, 0, 20), sample(t - 10_000, 0, 10)])).status).toBe(204)
    expect((await post([sample(t - 20_000, 1, 1), sample(t - 10_000, 1, 2)])).status).toBe(204)
    // Site y breaches too, but the rule is for site x only.
    await sites.y!.agent.request('POST', '/v1/agent/telemetry', {
      samples: [
        {
          ...sample(t - 10_000, 0, 50),
          path: { ...sample(0, 0, 0).path, peerSiteId: sites.x!.siteId },
        },
      ],
      activePaths: [],
    })
    await evaluate()
    await evaluate()
    let alerts = await alertsOf(org.viewer, rule.body.id)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({
      status: 'firing',
      severity: 'critical',
      siteId: sites.x!.siteId,
      details: { metric: 'lossPct', value: 15, path: { localSlot: 0 } },
    })
    // Three minutes on (the agent's signatures allow 5 minutes of skew), loss is back to 0.
    offset += 3 * MINUTE
    expect((await post([sample(clock.now() - 5_000, 0, 0)])).status).toBe(204)
    await evaluate()
    alerts = await alertsOf(org.viewer, rule.body.id)
    expect(alerts[0]!.status).toBe('resolved')
    const log = await org.viewer.get(`/v1/webhooks/${hook.body.id}/deliveries`)
    expect(log.body.items.map((d: { type: string }) => d.type).reverse()).toEqual([
      'alert.firing',
      'alert.resolved',
    ])
  })
})

describe('outbox claims', () => {
  it('a due delivery is claimed by one dispatcher only, until its lease runs out', async () => {
    const { operator, orgId } = await setup({ eventTypes: ['path.down'] })
    const sites = await operator.get('/v1/sites')
    await operator.post('/v1/events', down(sites.body.items[0].id))
    const now = clock.now()
    const [a, b] = await Promise.all([
      claimDue(services.db as never, 'a', now, 100),
      claimDue(services.db as never, 'b', now, 100),
    ])
    const mine = [...a!, ...b!].filter((r) => r.orgId === orgId)
    expect(mine).toHaveLength(1)
    const early = await claimDue(services.db as never, 'c', now + 1000, 100)
    expect(early.filter((r) => r.orgId === orgId)).toHaveLength(0)
    const again = await claimDue(services.db as never, 'c', now + LEASE_MS, 100)
    expect(again.some((r) => r.id === mine[0]!.id && r.leaseOwner === 'c')).toBe(true)
  })
})
