/**
 * Presence and token expiry need time to pass: the app runs on Node with a clock that the test moves
 * forward (within the 5-minute signature skew the agents' real clocks allow).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../worker/app'
import { applyMigrations } from '../../worker/db/migrate'
import { openNodeDb } from '../../worker/db/node'
import { silentLogger } from '../../worker/logger'
import { bootstrap } from '../../worker/services/bootstrap'
import { InProcessNotifier } from '../../worker/services/notifier'
import { sweepPresence } from '../../worker/services/presence'
import { enrollAgent as enrollAgentFor } from './agent-client'
import type { ApiTarget } from './harness'
import { newOrg } from './harness'
import { enrolledSites } from './suite-agents'

const ADMIN = 'presence-admin-token-0123456789'
let offset = 0
const clock = { now: () => Date.now() + offset }
let target: ApiTarget
let services: Parameters<typeof sweepPresence>[0]
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
  })
  target = {
    adminToken: ADMIN,
    fetch: async (path, init) => app.fetch(new Request(`http://t${path}`, init)),
  }
})
afterAll(() => close())

describe('agent presence', () => {
  it('goes offline after three missed heartbeats and online again, one event per change', async () => {
    const { operator, viewer } = await newOrg(target)
    const sites = await enrolledSites(operator, target, [{ name: 'a', prefix: '10.1.0.0/16' }])
    const agent = sites.a!.agent
    const beat = { agentVersion: '0.1.0', uptimeSeconds: 1 }
    expect((await agent.request('POST', '/v1/agent/heartbeat', beat)).status).toBe(204)
    expect((await viewer.get(`/v1/agents/${agent.agentId}`)).body.status).toBe('online')

    offset += 60_000
    expect(await sweepPresence(services)).toBe(0)
    offset += 40_000 // 100 s since the heartbeat: three 30 s intervals missed
    expect(await sweepPresence(services)).toBe(1)
    expect(await sweepPresence(services)).toBe(0)
    expect((await viewer.get(`/v1/agents/${agent.agentId}`)).body.status).toBe('offline')
    expect((await viewer.get(`/v1/sites/${sites.a!.siteId}`)).body.status).toBe('offline')
    const offline = await viewer.get('/v1/events?type=agent.offline')
    expect(offline.body.items).toHaveLength(1)
    expect(offline.body.items[0].severity).toBe('critical')

    // The agent's own clock is real time; the server's is 100 s ahead: within the skew.
    expect((await agent.request('POST', '/v1/agent/heartbeat', beat)).status).toBe(204)
    expect((await viewer.get('/v1/events?type=agent.online')).body.items).toHaveLength(2)
  })
})

describe('enrollment token expiry', () => {
  it('an expired token is refused with a detail that says so', async () => {
    const { operator } = await newOrg(target)
    const site = (await operator.post('/v1/sites', { name: 'late' })).body
    const token = (
      await operator.post(`/v1/sites/${site.id}/enrollment-tokens`, { expiresInSeconds: 60 })
    ).body
    offset += 61_000
    const { status, body } = await enrollAgentFor(target, token.token)
    expect(status).toBe(401)
    expect(body.type).toMatch(/enrollment-token-invalid$/)
    expect(body.detail).toMatch(/expired/)
  })
})
