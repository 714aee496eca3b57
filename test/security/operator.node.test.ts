/**
 * Actor: an org operator (docs/security.md, finding 5). A token's requests are limited per token
 * (429 with Retry-After; other tokens keep theirs), and an org's sites, webhook endpoints
 * and applications are capped by quotas (409 `quota-exceeded` naming the limit and its variable).
 * Node checks: small limits, an injected limiter clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectProblem, newOrg } from '../api/harness'
import { type LimitedTarget, startLimitedTarget } from './limited-target'

const TOKEN_LIMIT = 30

describe('security: operator (rate limits, quotas)', () => {
  let t: LimitedTarget
  beforeAll(async () => {
    t = await startLimitedTarget({
      limits: { token: TOKEN_LIMIT },
      quotas: { sites: 3, webhooks: 2, applications: 2 },
    })
  })
  afterAll(() => t.node.close())

  it('finding 5: requests are limited per API token; another token of the org is not affected', async () => {
    const target = t.from('192.0.2.10')
    // newOrg spends the instance admin's budget (1 org + 3 tokens), not these tokens'.
    const { operator, viewer } = await newOrg(target)
    for (let i = 0; i < TOKEN_LIMIT; i++) expect((await operator.get('/v1/sites')).status).toBe(200)
    const refused = await operator.get('/v1/sites')
    expectProblem(refused, 429, 'rate-limited')
    expect(refused.body.detail).toContain('PATRONUS_RATE_LIMIT_TOKEN')
    // 30 per minute: one request earns back in 2 s.
    expect(refused.headers.get('retry-after')).toBe('2')
    // Refused before any work: a write is refused too, and nothing is created.
    expectProblem(
      await operator.post('/v1/sites', { name: 'late', prefixes: ['10.1.0.0/16'] }),
      429,
      'rate-limited',
    )
    expect((await viewer.get('/v1/sites')).body.items).toEqual([])

    t.limiterClock.advance(2000)
    expect((await operator.get('/v1/sites')).status).toBe(200)
    expectProblem(await operator.get('/v1/sites'), 429, 'rate-limited')
  })

  it('finding 5: an org holds at most PATRONUS_QUOTA_SITES sites (409 quota-exceeded)', async () => {
    const { operator } = await newOrg(t.from('192.0.2.11'))
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await operator.post('/v1/sites', { name: `s${i}`, prefixes: [`10.${i}.0.0/16`] })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      ids.push(res.body.id)
    }
    const over = await operator.post('/v1/sites', { name: 's3', prefixes: ['10.3.0.0/16'] })
    expectProblem(over, 409, 'quota-exceeded')
    expect(over.body).toMatchObject({ quota: 'sites', limit: 3 })
    expect(over.body.detail).toContain('PATRONUS_QUOTA_SITES')
    // Another org has its own quota; a deleted site frees a slot.
    const other = await newOrg(t.from('192.0.2.11'))
    expect(
      (await other.operator.post('/v1/sites', { name: 'x', prefixes: ['10.9.0.0/16'] })).status,
    ).toBe(201)
    expect((await operator.delete(`/v1/sites/${ids[0]}`)).status).toBe(204)
    expect(
      (await operator.post('/v1/sites', { name: 's3', prefixes: ['10.3.0.0/16'] })).status,
    ).toBe(201)
  })

  it('finding 5: an org holds at most PATRONUS_QUOTA_WEBHOOKS webhook endpoints (409 quota-exceeded)', async () => {
    const { admin } = await newOrg(t.from('192.0.2.12'))
    const hook = (i: number) =>
      admin.post('/v1/webhooks', { url: `https://hooks.example.com/${i}`, events: ['*'] })
    for (let i = 0; i < 2; i++) {
      const res = await hook(i)
      expect(res.status, JSON.stringify(res.body)).toBe(201)
    }
    const over = await hook(2)
    expectProblem(over, 409, 'quota-exceeded')
    expect(over.body).toMatchObject({ quota: 'webhooks', limit: 2 })
    expect(over.body.detail).toContain('PATRONUS_QUOTA_WEBHOOKS')
  })

  it('an org holds at most PATRONUS_QUOTA_APPLICATIONS applications (409 quota-exceeded)', async () => {
    const { operator } = await newOrg(t.from('192.0.2.13'))
    const app = (i: number) =>
      operator.post('/v1/applications', { name: `app${i}`, names: [`app${i}.example`] })
    for (let i = 0; i < 2; i++) expect((await app(i)).status).toBe(201)
    const over = await app(2)
    expectProblem(over, 409, 'quota-exceeded')
    expect(over.body).toMatchObject({ quota: 'applications', limit: 2 })
    expect(over.body.detail).toContain('PATRONUS_QUOTA_APPLICATIONS')
    expect((await operator.get('/v1/applications')).body.items).toHaveLength(2)
    // Another org has its own quota; a deleted application frees a slot.
    const other = await newOrg(t.from('192.0.2.13'))
    expect(
      (await other.operator.post('/v1/applications', { name: 'x', names: ['x.example'] })).status,
    ).toBe(201)
    expect((await operator.delete('/v1/applications/app0')).status).toBe(204)
    expect((await app(2)).status).toBe(201)
  })
})
