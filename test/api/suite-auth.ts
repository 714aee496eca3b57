import { describe, expect, it } from 'vitest'
import { type ApiTarget, Client, expectProblem, newOrg, unique } from './harness'

export function authSuite(target: () => ApiTarget) {
  describe('health, OpenAPI and docs', () => {
    it('answers /healthz and /readyz', async () => {
      const anon = new Client(target(), undefined)
      expect((await anon.get('/healthz')).body.status).toBe('ok')
      const ready = await anon.get('/readyz')
      expect(ready.status).toBe(200)
      expect(ready.body.status).toBe('ready')
    })

    it('serves an OpenAPI 3.1 document covering every resource, and /docs', async () => {
      const anon = new Client(target(), undefined)
      const doc = await anon.get('/openapi.json')
      expect(doc.status).toBe(200)
      expect(doc.body.openapi).toBe('3.1.0')
      for (const path of [
        '/v1/orgs',
        '/v1/orgs/{orgId}/tokens',
        '/v1/tokens',
        '/v1/tokens/{tokenId}',
        '/v1/sites',
        '/v1/sites/{siteId}',
        '/v1/sites/{siteId}/uplinks',
        '/v1/uplinks/{uplinkId}',
        '/v1/policies',
        '/v1/policies/{policyId}',
        '/v1/audit-log',
      ]) {
        expect(doc.body.paths[path], path).toBeDefined()
      }
      expect(doc.body.components.schemas.Problem).toBeDefined()
      const docs = await anon.get('/docs')
      expect(docs.status).toBe(200)
      expect(String(docs.body)).toContain('/openapi.json')
    })

    it('answers unknown routes with a problem', async () => {
      expectProblem(await new Client(target(), undefined).get('/nope'), 404, 'not-found')
    })
  })

  describe('API tokens', () => {
    it('rejects a missing, malformed or invalid token', async () => {
      expectProblem(await new Client(target(), undefined).get('/v1/sites'), 401, 'unauthenticated')
      const malformed = await new Client(target(), undefined).get('/v1/sites', {
        authorization: 'Basic abc',
      })
      expectProblem(malformed, 401, 'unauthenticated')
      expect(malformed.headers.get('www-authenticate')).toMatch(/Bearer/)
      const invalid = await new Client(target(), 'pat_not-a-real-token').get('/v1/sites')
      expectProblem(invalid, 401, 'unauthenticated')
      expect(invalid.body.detail).toMatch(/not valid/)
    })

    it('issues a token once, lists it without the secret, records use and revokes it', async () => {
      const org = await newOrg(target())
      const issued = await org.admin.post(`/v1/orgs/${org.orgId}/tokens`, {
        name: 'ci',
        role: 'viewer',
      })
      expect(issued.status).toBe(201)
      expect(issued.body.token).toMatch(/^pat_[A-Za-z0-9_-]{43}$/)
      const ci = new Client(target(), issued.body.token)
      expect((await ci.get('/v1/sites')).status).toBe(200)

      const list = await org.admin.get('/v1/tokens')
      const listed = list.body.items.find((t: { id: string }) => t.id === issued.body.id)
      expect(listed.role).toBe('viewer')
      expect(listed.lastUsedAt).not.toBeNull()
      expect(JSON.stringify(list.body)).not.toContain(issued.body.token)

      expect((await org.admin.delete(`/v1/tokens/${issued.body.id}`)).status).toBe(204)
      const revoked = await ci.get('/v1/sites')
      expectProblem(revoked, 401, 'unauthenticated')
      expect(revoked.body.detail).toMatch(/revoked/)
    })

    it('lets viewers read but not mutate, and only admins manage tokens', async () => {
      const org = await newOrg(target())
      expect((await org.viewer.get('/v1/sites')).status).toBe(200)
      expectProblem(await org.viewer.post('/v1/sites', { name: 'x' }), 403, 'forbidden')
      expectProblem(await org.viewer.post('/v1/policies', {}), 403, 'forbidden')
      expectProblem(await org.operator.get('/v1/tokens'), 403, 'forbidden')
      expectProblem(
        await org.operator.post(`/v1/orgs/${org.orgId}/tokens`, { name: 'x', role: 'admin' }),
        403,
        'forbidden',
      )
    })
  })

  describe('orgs', () => {
    it('only an instance admin creates orgs; names are unique', async () => {
      const org = await newOrg(target())
      expectProblem(await org.admin.post('/v1/orgs', { name: unique('x') }), 403, 'forbidden')
      const name = unique('org')
      const root = new Client(target(), target().adminToken)
      expect((await root.post('/v1/orgs', { name })).status).toBe(201)
      expectProblem(await root.post('/v1/orgs', { name }), 409, 'conflict')
    })

    it('scopes org listing and another org is invisible', async () => {
      const a = await newOrg(target())
      const b = await newOrg(target())
      const listed = await a.admin.get('/v1/orgs')
      expect(listed.body.items.map((o: { id: string }) => o.id)).toEqual([a.orgId])
      expectProblem(
        await a.admin.post(`/v1/orgs/${b.orgId}/tokens`, { name: 'x', role: 'admin' }),
        404,
        'not-found',
      )
      const bToken = (await b.admin.get('/v1/tokens')).body.items[0].id
      expectProblem(await a.admin.delete(`/v1/tokens/${bToken}`), 404, 'not-found')
    })

    it('rejects an overlay pool that is not an IPv4 /24 or larger', async () => {
      const root = new Client(target(), target().adminToken)
      const res = await root.post('/v1/orgs', { name: unique('o'), overlayPool: '10.0.0.0/30' })
      expectProblem(res, 422, 'validation-failed')
      expect(res.body.errors[0].path).toBe('overlayPool')
    })
  })
}
