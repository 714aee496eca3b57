/**
 * The webhook outbox inside workerd over sqld (docs/security.md, finding 4): the drain a write
 * starts in `ctx.waitUntil` claims, attempts and records through the fair claim, and a
 * retryable failure holds the endpoint, so the deliveries queued behind it are not each
 * tried in turn. The target is a name that cannot resolve (RFC 6761 `.invalid`): every
 * attempt is a network error, which is retryable.
 */
import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newOrg } from '../api/harness'

const target = {
  adminToken: (env as unknown as { PATRONUS_BOOTSTRAP_TOKEN: string }).PATRONUS_BOOTSTRAP_TOKEN,
  fetch: (path: string, init?: RequestInit) => SELF.fetch(`http://patronus.test${path}`, init),
}

describe('webhooks on Workers', () => {
  it('finding 4: a failing endpoint is held; its queued deliveries wait instead of each trying', async () => {
    const { operator, viewer } = await newOrg(target)
    const hook = await operator.post('/v1/webhooks', {
      url: 'https://receiver.invalid/hook',
      events: ['path.down'],
    })
    expect(hook.status, JSON.stringify(hook.body)).toBe(201)
    for (let i = 0; i < 3; i++) {
      const raised = await operator.post('/v1/events', { type: 'path.down', details: { i } })
      expect(raised.status).toBe(201)
    }
    const log = async () =>
      (await viewer.get(`/v1/webhooks/${hook.body.id}/deliveries`)).body.items as {
        attempts: number
        status: string
        error: string | null
        nextAttemptAt: string | null
        lastAttemptAt: string | null
      }[]
    const deadline = Date.now() + 20_000
    let items = await log()
    while (!items.some((d) => d.attempts === 1 && d.error) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      items = await log()
    }
    const tried = items.filter((d) => d.attempts > 0)
    expect(tried, JSON.stringify(items)).toHaveLength(1)
    expect(tried[0]).toMatchObject({ status: 'pending', attempts: 1 })
    // Retried no sooner than the base's lower jitter bound (30 s * 0.75).
    const wait = Date.parse(tried[0]!.nextAttemptAt!) - Date.parse(tried[0]!.lastAttemptAt!)
    expect(wait).toBeGreaterThanOrEqual(22_500)
    // Every write after the failure started another drain; the hold kept them all off.
    const again = await operator.post('/v1/events', { type: 'path.down', details: { i: 3 } })
    expect(again.status).toBe(201)
    await new Promise((r) => setTimeout(r, 500))
    expect((await log()).filter((d) => d.attempts > 0)).toHaveLength(1)
  })
})
