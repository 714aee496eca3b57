/**
 * Webhook delivery end to end on Node: the real control plane (startNodeServer, file
 * database) sends to a real receiver on 127.0.0.1, which verifies every signature with
 * the standardwebhooks package. Time for retries is a movable clock, never a real wait.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadNodeConfig } from '../../worker/config'
import { silentLogger } from '../../worker/logger'
import { type RunningServer, startNodeServer } from '../../worker/server'
import { type ApiTarget, type Client, newOrg } from '../api/harness'
import { eventually, Receiver } from './receiver'

const ADMIN = 'webhooks-admin-token-0123456789'
let offset = 0
const clock = { now: () => Date.now() + offset }
let dir: string
let server: RunningServer
let receiver: Receiver

const target: ApiTarget = {
  adminToken: ADMIN,
  fetch: (path, init) => fetch(`${server.url}${path}`, init),
}

async function start() {
  const config = loadNodeConfig({
    PORT: '0',
    DATABASE_URL: `file:${join(dir, 'cp.db')}`,
    PATRONUS_BOOTSTRAP_TOKEN: ADMIN,
    PATRONUS_WEBHOOK_ALLOW_PRIVATE: '1',
  })
  server = await startNodeServer(config, silentLogger, clock, {
    webhooks: { pollMs: 50, evaluateMs: 3_600_000 },
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patronus-webhooks-'))
  await start()
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(async () => {
  // Receivers check webhook-timestamp against their own (real) clock, within 5 minutes.
  offset = 0
  receiver = await new Receiver().start()
})
afterEach(async () => {
  await receiver.close()
})

async function endpoint(operator: Client, body: Record<string, unknown> = {}) {
  const res = await operator.post('/v1/webhooks', {
    url: `${receiver.url}/hook`,
    events: ['path.down'],
    ...body,
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body as { id: string; secret: string }
}

const raise = (operator: Client, type = 'path.down') =>
  operator.post('/v1/events', { type, details: { note: 'test' } })

function verify(secret: string, r: { headers: Record<string, unknown>; body: string }) {
  const headers = {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  }
  return new Webhook(secret).verify(r.body, headers) as Record<string, any>
}

async function deliveries(client: Client, id: string) {
  return (await client.get(`/v1/webhooks/${id}/deliveries`)).body.items as Record<string, any>[]
}

describe('webhook delivery', () => {
  it('signs every delivery (Standard Webhooks) and logs status, code, latency, attempt', async () => {
    const { operator, viewer } = await newOrg(target)
    const hook = await endpoint(operator, { events: ['site.created', 'path.down'] })
    const site = await operator.post('/v1/sites', { name: 'hq' })
    const [got] = await receiver.waitFor(1)
    const payload = verify(hook.secret, got!)
    expect(payload).toMatchObject({ type: 'site.created', data: { siteId: site.body.id } })
    expect(payload.data.siteName).toBe('hq')
    expect(got!.headers['content-type']).toBe('application/json')
    expect(String(got!.headers['webhook-id'])).toMatch(/^msg_[0-9a-f]{28}$/)
    const log = await eventually(async () => {
      const items = await deliveries(viewer, hook.id)
      return items[0]?.status === 'succeeded' ? items : undefined
    })
    expect(log[0]).toMatchObject({
      id: got!.headers['webhook-id'],
      type: 'site.created',
      status: 'succeeded',
      attempts: 1,
      responseStatus: 200,
      error: null,
    })
    expect(log[0]!.latencyMs).toBeGreaterThanOrEqual(0)
    // A tampered body does not verify.
    expect(() => verify(hook.secret, { ...got!, body: `${got!.body} ` })).toThrow()
  })

  it('retries 500, 500 then 200 with the same webhook-id, honouring the schedule', async () => {
    const { operator, viewer } = await newOrg(target)
    const hook = await endpoint(operator)
    receiver.script = [{ status: 500 }, { status: 503 }]
    await raise(operator)
    await receiver.waitFor(1)
    const first = await eventually(async () => {
      const [d] = await deliveries(viewer, hook.id)
      return d?.attempts === 1 ? d : undefined
    })
    expect(first).toMatchObject({ status: 'pending', responseStatus: 500, error: 'HTTP 500' })
    const wait = Date.parse(first.nextAttemptAt) - Date.parse(first.lastAttemptAt)
    expect(wait).toBeGreaterThanOrEqual(22_500) // 30 s +-25 %
    expect(wait).toBeLessThanOrEqual(37_500)
    await new Promise((r) => setTimeout(r, 200))
    expect(receiver.requests).toHaveLength(1) // not before it is due

    offset += 40_000
    await receiver.waitFor(2)
    const second = await eventually(async () => {
      const [d] = await deliveries(viewer, hook.id)
      return d?.attempts === 2 ? d : undefined
    })
    const wait2 = Date.parse(second.nextAttemptAt) - Date.parse(second.lastAttemptAt)
    expect(wait2).toBeGreaterThanOrEqual(45_000) // 60 s +-25 %
    expect(wait2).toBeLessThanOrEqual(75_000)
    offset += 80_000
    const all = await receiver.waitFor(3)
    expect(all.map((r) => r.answered)).toEqual([500, 503, 200])
    expect(new Set(all.map((r) => r.headers['webhook-id'])).size).toBe(1)
    for (const r of all) expect(verify(hook.secret, r).type).toBe('path.down')
    expect(new Set(all.map((r) => r.body)).size).toBe(1)
    const done = await eventually(async () => {
      const [d] = await deliveries(viewer, hook.id)
      return d?.status === 'succeeded' ? d : undefined
    })
    expect(done).toMatchObject({ attempts: 3, responseStatus: 200 })
  })

  it('a restart between attempts still delivers, exactly once', async () => {
    const { operator, viewer } = await newOrg(target)
    const hook = await endpoint(operator)
    receiver.script = [{ status: 502 }]
    await raise(operator)
    await receiver.waitFor(1)
    await eventually(async () => (await deliveries(viewer, hook.id))[0]?.attempts === 1)
    await server.close()
    await start()
    offset += 40_000
    await receiver.waitFor(2)
    await new Promise((r) => setTimeout(r, 500))
    expect(receiver.requests.map((r) => r.answered)).toEqual([502, 200])
    expect(receiver.requests[1]!.headers['webhook-id']).toBe(
      receiver.requests[0]!.headers['webhook-id'],
    )
    const [d] = await deliveries(viewer, hook.id)
    expect(d).toMatchObject({ status: 'succeeded', attempts: 2 })
  })

  it('honours Retry-After on 429; a 4xx is final; redeliver sends the same id again', async () => {
    const { operator, viewer } = await newOrg(target)
    const hook = await endpoint(operator)
    receiver.script = [{ status: 429, headers: { 'retry-after': '600' } }, { status: 404 }]
    await raise(operator)
    const limited = await eventually(async () => {
      const [d] = await deliveries(viewer, hook.id)
      return d?.attempts === 1 ? d : undefined
    })
    // Counted from the answer, not the start of the attempt.
    const waited = Date.parse(limited.nextAttemptAt) - Date.parse(limited.lastAttemptAt)
    expect(waited).toBeGreaterThanOrEqual(600_000)
    expect(waited).toBeLessThan(605_000)
    offset += 600_000
    const failed = await eventually(async () => {
      const [d] = await deliveries(viewer, hook.id)
      return d?.status === 'failed' ? d : undefined
    })
    expect(failed).toMatchObject({ attempts: 2, responseStatus: 404, nextAttemptAt: null })
    expect((await viewer.get(`/v1/webhooks/${hook.id}`)).body.consecutiveFailures).toBe(1)
    offset = 0

    const again = await operator.post(
      `/v1/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`,
      undefined,
    )
    expect(again.status).toBe(202)
    const all = await receiver.waitFor(3)
    expect(all[2]!.headers['webhook-id']).toBe(failed.id)
    verify(hook.secret, all[2]!)
    await eventually(async () => (await deliveries(viewer, hook.id))[0]?.status === 'succeeded')
    expect((await viewer.get(`/v1/webhooks/${hook.id}`)).body.consecutiveFailures).toBe(0)
  })

  it('after a rotation both secrets verify for 24 h; then only the new one is sent', async () => {
    const { operator } = await newOrg(target)
    const hook = await endpoint(operator, { format: 'slack' })
    const rotated = (await operator.post(`/v1/webhooks/${hook.id}/rotate-secret`, undefined)).body
    await raise(operator)
    const [got] = await receiver.waitFor(1)
    expect(String(got!.headers['webhook-signature']).split(' ')).toHaveLength(2)
    verify(hook.secret, got!)
    const slack = verify(rotated.secret, got!)
    expect(slack.text).toMatch(/path\.down/)
    expect(slack.blocks[0].type).toBe('section')
    offset += 24 * 3_600_000 + 1000
    try {
      await raise(operator)
      // The receiver checks timestamps against its own clock: check the signature alone.
      const [, later] = await receiver.waitFor(2)
      const sigs = String(later!.headers['webhook-signature']).split(' ')
      expect(sigs).toHaveLength(1)
      const ts = new Date(Number(later!.headers['webhook-timestamp']) * 1000)
      const id = String(later!.headers['webhook-id'])
      expect(new Webhook(rotated.secret).sign(id, ts, later!.body)).toBe(sigs[0])
    } finally {
      offset -= 24 * 3_600_000 + 1000
    }
  })

  it('disables an endpoint after 20 final failures in a row and raises webhook.disabled', async () => {
    const { operator, viewer } = await newOrg(target)
    const watcher = await endpoint(operator, {
      events: ['webhook.disabled'],
      url: `${receiver.url}/watch`,
    })
    const hook = await endpoint(operator)
    receiver.script = Array.from({ length: 20 }, () => ({ status: 410 }))
    for (let i = 0; i < 20; i++) await raise(operator)
    const disabled = await eventually(async () => {
      const h = (await viewer.get(`/v1/webhooks/${hook.id}`)).body
      return h.enabled === false ? h : undefined
    })
    expect(disabled.consecutiveFailures).toBe(20)
    expect(disabled.disabledReason).toMatch(/20 deliveries/)
    const events = (await viewer.get('/v1/events?type=webhook.disabled')).body.items
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ severity: 'warning', details: { webhookId: hook.id } })
    const all = await receiver.waitFor(21)
    const notices = all.filter((r) => r.url === '/watch')
    expect(notices).toHaveLength(1)
    expect(verify(watcher.secret, notices[0]!)).toMatchObject({
      type: 'webhook.disabled',
      data: { details: { webhookId: hook.id, consecutiveFailures: 20 } },
    })
    // Disabled: nothing more is enqueued; enabling again resets the count.
    await raise(operator)
    const enabled = await operator.patch(`/v1/webhooks/${hook.id}`, { enabled: true })
    expect(enabled.body).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledAt: null })
  })
})
