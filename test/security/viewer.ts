/**
 * Actor: an org viewer (read-only token). May read its own org; may change nothing, and
 * may not read another org's objects (docs/security.md).
 */
import { describe, expect, it } from 'vitest'
import { type ApiTarget, expectProblem, newOrg } from '../api/harness'

export function viewerSecurity(target: () => ApiTarget) {
  describe('security: viewer', () => {
    it('cannot write, mint tokens or read another org', async () => {
      const org = await newOrg(target())
      const other = await newOrg(target())
      const site = await other.admin.post('/v1/sites', { name: 'other-hq' })
      expect(site.status, JSON.stringify(site.body)).toBe(201)
      expectProblem(await org.viewer.post('/v1/sites', { name: 'x' }), 403, 'forbidden')
      expectProblem(
        await org.viewer.post(`/v1/orgs/${org.orgId}/tokens`, { name: 'x', role: 'viewer' }),
        403,
        'forbidden',
      )
      expectProblem(await org.viewer.get(`/v1/sites/${site.body.id}`), 404, 'not-found')
    })
  })
}
