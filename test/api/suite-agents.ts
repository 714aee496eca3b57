import { describe, expect, it } from 'vitest'
import { enrollAgent, newKeys, type TestAgent } from './agent-client'
import { type ApiTarget, type Client, expectProblem, newOrg } from './harness'

export async function siteWithToken(
  operator: Client,
  body: Record<string, unknown>,
  tokenBody = {},
) {
  const site = await operator.post('/v1/sites', body)
  expect(site.status, JSON.stringify(site.body)).toBe(201)
  const token = await operator.post(`/v1/sites/${site.body.id}/enrollment-tokens`, tokenBody)
  expect(token.status).toBe(201)
  return { site: site.body, token: token.body.token as string, tokenId: token.body.id as string }
}

/** Creates and enrolls sites; returns their agents by name. */
export async function enrolledSites(
  operator: Client,
  target: ApiTarget,
  specs: { name: string; role?: string; prefix: string }[],
) {
  const out: Record<string, { siteId: string; agent: TestAgent }> = {}
  for (const spec of specs) {
    const { site, token } = await siteWithToken(operator, {
      name: spec.name,
      role: spec.role ?? 'mesh',
      prefixes: [spec.prefix],
    })
    const enrolled = await enrollAgent(target, token, [
      { name: 'wan1', interface: 'eth1', endpoint: `198.18.${Object.keys(out).length}.1:51820` },
    ])
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201)
    out[spec.name] = { siteId: site.id, agent: enrolled.agent }
  }
  return out
}

export function agentsSuite(target: () => ApiTarget) {
  describe('enrollment', () => {
    it('enrolls with a one-time token, allocates an overlay address and records uplinks', async () => {
      const { operator, viewer } = await newOrg(target())
      const { site, token, tokenId } = await siteWithToken(operator, {
        name: 'branch',
        prefixes: ['10.5.0.0/16'],
      })
      expect(token).toMatch(/^pet_/)
      const listed = await operator.get(`/v1/sites/${site.id}/enrollment-tokens`)
      expect(listed.body.items[0].id).toBe(tokenId)
      expect(JSON.stringify(listed.body)).not.toContain(token)

      const { status, body } = await enrollAgent(target(), token, [
        { name: 'fiber', interface: 'eth0', endpoint: '203.0.113.10:51820' },
        { name: 'lte', interface: 'wwan0' },
      ])
      expect(status).toBe(201)
      expect(body.siteId).toBe(site.id)
      expect(body.overlayAddress).toMatch(/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./)
      expect(body.overlayAddress).toBe(site.overlayAddress)
      const uplinks = await viewer.get(`/v1/sites/${site.id}/uplinks`)
      expect(
        uplinks.body.items.map((u: { name: string; slot: number }) => [u.name, u.slot]),
      ).toEqual([
        ['fiber', 0],
        ['lte', 1],
      ])
      const agent = await viewer.get(`/v1/agents/${body.agentId}`)
      expect(agent.body.status).toBe('offline')
      expect(agent.body.hostname).toBe('edge-1')

      const again = await enrollAgent(target(), token)
      expectProblem(again, 401, 'enrollment-token-invalid')
      expect(again.body.detail).toMatch(/used up/)
    })

    it('rejects revoked, unknown and malformed tokens', async () => {
      const { operator } = await newOrg(target())
      const { token, tokenId } = await siteWithToken(operator, { name: 's' })
      expect((await operator.delete(`/v1/enrollment-tokens/${tokenId}`)).status).toBe(204)
      const revoked = await enrollAgent(target(), token)
      expectProblem(revoked, 401, 'enrollment-token-invalid')
      expect(revoked.body.detail).toMatch(/revoked/)
      const unknown = await enrollAgent(target(), `pet_${'A'.repeat(43)}`)
      expectProblem(unknown, 401, 'enrollment-token-invalid')
      const malformed = await enrollAgent(target(), 'not-a-token')
      expectProblem(malformed, 422, 'validation-failed')
    })

    it('allocates distinct overlay addresses under concurrent enrollment', async () => {
      const { operator } = await newOrg(target())
      const tokens = []
      for (let i = 0; i < 8; i++)
        tokens.push((await siteWithToken(operator, { name: `c${i}` })).token)
      const results = await Promise.all(tokens.map((t) => enrollAgent(target(), t)))
      expect(results.every((r) => r.status === 201)).toBe(true)
      const addresses = new Set(results.map((r) => r.body.overlayAddress))
      expect(addresses.size).toBe(8)
    })
  })

  describe('agent signatures', () => {
    it('accepts a signed request and rejects wrong key, tampered body, replay, skew and unsigned', async () => {
      const { operator } = await newOrg(target())
      const { a } = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      const agent = a!.agent
      expect((await agent.config()).status).toBe(200)

      const other = await newKeys()
      expectProblem(
        await agent.config({ key: other.identity.privateKey }),
        401,
        'agent-signature-invalid',
      )

      const beat = { agentVersion: '0.1.0', uptimeSeconds: 5 }
      const tampered = await agent.request('POST', '/v1/agent/heartbeat', beat, {
        sendBody: JSON.stringify({ ...beat, uptimeSeconds: 6 }),
      })
      expectProblem(tampered, 401, 'agent-signature-invalid')
      expect(tampered.body.detail).toMatch(/Content-Digest/)

      expect((await agent.request('POST', '/v1/agent/heartbeat', beat)).status).toBe(204)
      const replay = await agent.send(
        'POST',
        '/v1/agent/heartbeat',
        agent.lastHeaders,
        JSON.stringify(beat),
      )
      expectProblem(replay, 401, 'agent-replay')

      const skewed = await agent.config({ skewSeconds: -600 })
      expectProblem(skewed, 401, 'agent-clock-skew')
      expect(skewed.body.detail).toMatch(/600 s behind/)
      expectProblem(await agent.config({ skewSeconds: 400 }), 401, 'agent-clock-skew')

      const unsigned = await target().fetch('/v1/agent/config')
      expect(unsigned.status).toBe(401)
      expect(((await unsigned.json()) as { type: string }).type).toMatch(/agent-signature-invalid$/)
    })

    it('an agent reads only its own config and cannot use the operator API', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
      ])
      const mine = await sites.a!.agent.config()
      expect(mine.body.site.id).toBe(sites.a!.siteId)
      const asking = await sites.a!.agent.request(
        'GET',
        `/v1/agent/config?siteId=${sites.b!.siteId}`,
      )
      expectProblem(asking, 422, 'validation-failed')
      const operatorApi = await sites.a!.agent.request('GET', `/v1/sites/${sites.b!.siteId}`)
      expectProblem(operatorApi, 401, 'unauthenticated')
    })

    it('a revoked agent gets 401 agent-revoked and its peers drop it', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
      ])
      const before = await sites.b!.agent.config()
      expect(before.body.peers.map((p: { siteName: string }) => p.siteName)).toEqual(['a'])
      expect((await operator.delete(`/v1/agents/${sites.a!.agent.agentId}`)).status).toBe(204)
      expectProblem(await sites.a!.agent.config(), 401, 'agent-revoked')
      const after = await sites.b!.agent.config()
      expect(after.body.revision).toBeGreaterThan(before.body.revision)
      expect(after.body.peers).toEqual([])
    })
  })

  describe('desired state', () => {
    it('full mesh: every site peers with every other, with slots, endpoints and prefixes', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
        { name: 'c', prefix: '10.3.0.0/16' },
      ])
      const config = await sites.a!.agent.config()
      expect(config.status).toBe(200)
      expect(config.headers.get('etag')).toBe(`"${config.body.revision}"`)
      expect(config.body.org.topology).toBe('mesh')
      expect(config.body.uplinks[0]).toMatchObject({
        name: 'wan1',
        slot: 0,
        endpointHost: '198.18.0.1',
        basePort: 51820,
      })
      const peers = config.body.peers
      expect(peers.map((p: { siteName: string }) => p.siteName)).toEqual(['b', 'c'])
      expect(peers[0]).toMatchObject({
        prefixes: ['10.2.0.0/16'],
        uplinks: [{ slot: 0, endpointHost: '198.18.1.1' }],
      })
      expect(peers[0].wireguardPublicKey).toHaveLength(44)
      expect(config.body.wireguard.basePort).toBe(51820)
    })

    it('hub-and-spoke: spokes see hubs only; a spoke change bumps the hubs, not other spokes', async () => {
      const { operator } = await newOrg(target(), { topology: 'hub-and-spoke' })
      const sites = await enrolledSites(operator, target(), [
        { name: 'hub1', role: 'hub', prefix: '10.0.0.0/16' },
        { name: 's1', role: 'spoke', prefix: '10.1.0.0/16' },
        { name: 's2', role: 'spoke', prefix: '10.2.0.0/16' },
      ])
      const hub = await sites.hub1!.agent.config()
      expect(hub.body.peers.map((p: { siteName: string }) => p.siteName).sort()).toEqual([
        's1',
        's2',
      ])
      const s1 = await sites.s1!.agent.config()
      expect(s1.body.peers.map((p: { siteName: string }) => p.siteName)).toEqual(['hub1'])
      const s2 = await sites.s2!.agent.config()

      const patched = await operator.patch(`/v1/sites/${sites.s1!.siteId}`, {
        prefixes: ['10.1.0.0/16', '10.11.0.0/16'],
      })
      expect(patched.status).toBe(200)
      expect((await sites.s2!.agent.config({ etag: `"${s2.body.revision}"` })).status).toBe(304)
      const hubAfter = await sites.hub1!.agent.config({ etag: `"${hub.body.revision}"` })
      expect(hubAfter.status).toBe(200)
      const s1peer = hubAfter.body.peers.find((p: { siteName: string }) => p.siteName === 's1')
      expect(s1peer.prefixes).toEqual(['10.1.0.0/16', '10.11.0.0/16'])
      expect((await sites.s1!.agent.config({ etag: `"${s1.body.revision}"` })).status).toBe(200)
    })

    it('answers 304 for the current revision and long-poll wakes on a change within 1 s', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
      ])
      const first = await sites.a!.agent.config()
      const etag = `"${first.body.revision}"`
      const unchanged = await sites.a!.agent.config({ etag })
      expect(unchanged.status).toBe(304)

      const started = Date.now()
      const polling = sites.a!.agent.config({ etag, wait: 20 })
      await new Promise((r) => setTimeout(r, 300))
      const changedAt = Date.now()
      expect(
        (await operator.patch(`/v1/sites/${sites.b!.siteId}`, { prefixes: ['10.2.0.0/15'] }))
          .status,
      ).toBe(200)
      const woke = await polling
      const latency = Date.now() - changedAt
      expect(woke.status).toBe(200)
      expect(woke.body.revision).toBeGreaterThan(first.body.revision)
      expect(latency).toBeLessThan(1000)
      expect(Date.now() - started).toBeLessThan(5000)

      // A short long-poll with nothing changing ends in 304 at its deadline.
      const idle = await sites.a!.agent.config({ etag: `"${woke.body.revision}"`, wait: 1 })
      expect(idle.status).toBe(304)
    })

    it('a deleted site wakes its peers’ long-polls and leaves their config', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
      ])
      const first = await sites.b!.agent.config()
      const polling = sites.b!.agent.config({ etag: `"${first.body.revision}"`, wait: 20 })
      await new Promise((r) => setTimeout(r, 300))
      const deletedAt = Date.now()
      expect((await operator.delete(`/v1/sites/${sites.a!.siteId}`)).status).toBe(204)
      const woke = await polling
      expect(woke.status).toBe(200)
      expect(woke.body.peers).toEqual([])
      expect(Date.now() - deletedAt).toBeLessThan(1000)
    })

    it('applies policies by site label', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      const action = { preference: 'lowest-latency' }
      await operator.post('/v1/policies', { name: 'all', priority: 1, match: {}, action })
      await operator.post('/v1/policies', {
        name: 'gold',
        priority: 2,
        match: { siteLabels: { tier: 'gold' } },
        action,
      })
      const before = await sites.a!.agent.config()
      expect(before.body.policies.map((p: { name: string }) => p.name)).toEqual(['all'])
      await operator.patch(`/v1/sites/${sites.a!.siteId}`, { labels: { tier: 'gold' } })
      const after = await sites.a!.agent.config({ etag: `"${before.body.revision}"` })
      expect(after.body.policies.map((p: { name: string }) => p.name)).toEqual(['all', 'gold'])
    })
  })

  describe('heartbeat', () => {
    it('marks the agent online with its last-seen time and uplink states', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      const beat = {
        agentVersion: '0.2.0',
        uptimeSeconds: 42,
        revision: 3,
        uplinks: [{ name: 'wan1', state: 'up' }],
      }
      expect((await sites.a!.agent.request('POST', '/v1/agent/heartbeat', beat)).status).toBe(204)
      const agent = await viewer.get(`/v1/agents/${sites.a!.agent.agentId}`)
      expect(agent.body).toMatchObject({
        status: 'online',
        agentVersion: '0.2.0',
        appliedRevision: 3,
      })
      expect(agent.body.uplinkStates).toEqual([{ name: 'wan1', state: 'up' }])
      const site = await viewer.get(`/v1/sites/${sites.a!.siteId}`)
      expect(site.body.status).toBe('online')
      expect(site.body.lastSeenAt).not.toBeNull()
      const bad = await sites.a!.agent.request('POST', '/v1/agent/heartbeat', { uptimeSeconds: -1 })
      expectProblem(bad, 422, 'validation-failed')
    })
  })
}
