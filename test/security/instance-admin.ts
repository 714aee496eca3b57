/**
 * Actor: an admin of org `default`, the org that holds the instance-admin tokens. May
 * manage the org's own tokens; may not see or revoke an instance-admin token, which would
 * leave nobody able to create orgs (docs/security.md). The last-token rule (409) and the
 * recovery command need a private database: instance-admin.node.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { type ApiTarget, Client, expectProblem, unique } from '../api/harness'

interface TokenView {
  id: string
  orgId: string
  instanceAdmin: boolean
}

export function instanceAdminSecurity(target: () => ApiTarget) {
  describe('security: admin of org default', () => {
    it('finding 6: an org admin of default neither sees nor revokes instance-admin tokens', async () => {
      const instanceAdmin = new Client(target(), target().adminToken)
      const own = await instanceAdmin.get('/v1/tokens?limit=500')
      expect(own.status).toBe(200)
      // The instance admin still sees them (its token is one of them), in org default.
      const privileged = (own.body.items as TokenView[]).filter((t) => t.instanceAdmin)
      expect(privileged.length).toBeGreaterThan(0)
      const defaultOrgId = privileged[0]!.orgId

      const issued = await instanceAdmin.post(`/v1/orgs/${defaultOrgId}/tokens`, {
        name: unique('default-admin'),
        role: 'admin',
      })
      expect(issued.status).toBe(201)
      expect(issued.body.instanceAdmin).toBe(false)
      const orgAdmin = new Client(target(), issued.body.token)

      const listed = await orgAdmin.get('/v1/tokens?limit=500')
      expect(listed.status).toBe(200)
      const ids = (listed.body.items as TokenView[]).map((t) => t.id)
      expect(ids).toContain(issued.body.id)
      expect((listed.body.items as TokenView[]).filter((t) => t.instanceAdmin)).toEqual([])
      for (const token of privileged) expect(ids).not.toContain(token.id)

      // Revoking one is the same 404 as revoking a token that does not exist.
      for (const token of privileged) {
        const revoke = await orgAdmin.delete(`/v1/tokens/${token.id}`)
        expectProblem(revoke, 404, 'not-found')
        expect(revoke.body.detail).toBe(`token ${token.id} does not exist`)
      }
      expect((await instanceAdmin.post('/v1/orgs', { name: unique('org') })).status).toBe(201)

      // The org's ordinary tokens stay the org admin's to manage.
      const viewer = await orgAdmin.post(`/v1/orgs/${defaultOrgId}/tokens`, {
        name: unique('viewer'),
        role: 'viewer',
      })
      expect(viewer.status).toBe(201)
      expect((await orgAdmin.delete(`/v1/tokens/${viewer.body.id}`)).status).toBe(204)
      expect((await orgAdmin.delete(`/v1/tokens/${issued.body.id}`)).status).toBe(204)
    })
  })
}
