/**
 * Actor: whoever holds an enrollment token (docs/security.md). May enroll one agent for the
 * token's site with its own keys and uplink claims; may not plant text that the dashboard
 * later puts into a root command line, nor take over another site's WireGuard identity.
 */
import { describe, expect, it } from 'vitest'
import { newKeys } from '../api/agent-client'
import { type ApiTarget, type Client, expectProblem, newOrg } from '../api/harness'
import { siteWithToken } from '../api/suite-agents'

interface Claim {
  token: string
  wireguardPublicKey?: string
  uplinks?: { name: string; interface: string; endpoint?: string }[]
}

/** POST /v1/enroll with fresh identity keys; the WireGuard key may be chosen (finding 3). */
async function enroll(target: ApiTarget, claim: Claim) {
  const keys = await newKeys()
  const response = await target.fetch('/v1/enroll', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: claim.token,
      hostname: 'edge',
      agentVersion: '0.1.0',
      identityPublicKey: keys.identityPublic,
      wireguardPublicKey: claim.wireguardPublicKey ?? keys.wireguardPublic,
      uplinks: claim.uplinks ?? [],
    }),
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as any,
  }
}

async function tokenUses(operator: Client, siteId: string) {
  const listed = await operator.get(`/v1/sites/${siteId}/enrollment-tokens`)
  expect(listed.status).toBe(200)
  return listed.body.items.map((t: { uses: number }) => t.uses)
}

/** Endpoints an agent once could store and the dashboard pasted into a root command. */
const HOSTILE_ENDPOINTS = [
  '$(id>/tmp/pwn);touch /tmp/x`id`:51820',
  'host name:51820',
  "x'y:51820",
  'host:51820\nreboot',
  '[::1;id]:51820',
  '[:.:]:51820',
  'a_b:51820',
]

export function enrollmentTokenSecurity(target: () => ApiTarget) {
  describe('security: enrollment-token', () => {
    it('finding 2: a claimed uplink endpoint with shell syntax is refused (422), nothing stored', async () => {
      const { operator } = await newOrg(target())
      const { site, token } = await siteWithToken(operator, { name: 'branch' })
      for (const endpoint of HOSTILE_ENDPOINTS) {
        const res = await enroll(target(), {
          token,
          uplinks: [
            { name: 'fiber', interface: 'eth0', endpoint: '203.0.113.10:51820' },
            { name: 'wan0', interface: 'eth1', endpoint },
          ],
        })
        expectProblem(res, 422, 'validation-failed')
        expect(
          res.body.errors.map((e: { path: string }) => e.path),
          endpoint,
        ).toEqual(['uplinks.1.endpoint'])
      }
      // Refused before the token was looked at: no uplink, no agent, the token still unused.
      expect((await operator.get(`/v1/sites/${site.id}/uplinks`)).body.items).toEqual([])
      expect((await operator.get(`/v1/agents?siteId=${site.id}`)).body.items).toEqual([])
      expect(await tokenUses(operator, site.id)).toEqual([0])
      // The same token still enrolls with a well-formed claim.
      const ok = await enroll(target(), {
        token,
        uplinks: [{ name: 'wan0', interface: 'eth1', endpoint: '[2001:db8::7]:51820' }],
      })
      expect(ok.status, JSON.stringify(ok.body)).toBe(201)
    })

    it('finding 3: a WireGuard key held by an active agent is refused (409) until it is revoked', async () => {
      const { operator } = await newOrg(target())
      const first = await siteWithToken(operator, { name: 'hq' })
      const wireguardPublicKey = (await newKeys()).wireguardPublic
      const hq = await enroll(target(), { token: first.token, wireguardPublicKey })
      expect(hq.status, JSON.stringify(hq.body)).toBe(201)

      // Another site of this org, and a site of another org, present hq's key.
      const second = await siteWithToken(operator, { name: 'branch' })
      const other = await newOrg(target())
      const foreign = await siteWithToken(other.operator, { name: 'elsewhere' })
      for (const [client, taker] of [
        [operator, second],
        [other.operator, foreign],
      ] as const) {
        const res = await enroll(target(), { token: taker.token, wireguardPublicKey })
        expectProblem(res, 409, 'conflict')
        expect(res.body.errors[0].path).toBe('wireguardPublicKey')
        // The refused enrollment changed nothing: its token is unused, its site has no agent.
        expect(await tokenUses(client, taker.site.id)).toEqual([0])
        expect((await client.get(`/v1/agents?siteId=${taker.site.id}`)).body.items).toEqual([])
      }

      // hq's own site may re-enroll with its key (the old agent is replaced, not a peer).
      const hqToken = await operator.post(`/v1/sites/${first.site.id}/enrollment-tokens`, {})
      const reenrolled = await enroll(target(), { token: hqToken.body.token, wireguardPublicKey })
      expect(reenrolled.status, JSON.stringify(reenrolled.body)).toBe(201)

      // Once hq's agent is revoked its key is free: the second site may enroll with it.
      const revoked = await operator.delete(`/v1/agents/${reenrolled.body.agentId}`)
      expect(revoked.status).toBe(204)
      const taken = await enroll(target(), { token: second.token, wireguardPublicKey })
      expect(taken.status, JSON.stringify(taken.body)).toBe(201)
      expect(taken.body.siteId).toBe(second.site.id)
    })
  })
}
