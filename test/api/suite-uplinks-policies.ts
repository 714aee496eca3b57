import { describe, expect, it } from 'vitest'
import { type ApiTarget, expectProblem, newOrg } from './harness'
import { exampleScorer } from './scorer-components'

export function uplinksPoliciesSuite(target: () => ApiTarget) {
  describe('uplinks', () => {
    it('assigns the lowest free slot and keeps slots stable', async () => {
      const { operator } = await newOrg(target())
      const site = (await operator.post('/v1/sites', { name: 's' })).body
      const add = (name: string, extra = {}) =>
        operator.post(`/v1/sites/${site.id}/uplinks`, { name, interface: `eth-${name}`, ...extra })
      const a = await add('a', {
        endpoint: '203.0.113.7:51820',
        bandwidthMbps: 100,
        costPerGb: 0.5,
      })
      expect(a.status).toBe(201)
      expect(a.body.slot).toBe(0)
      expect(a.body.endpoint).toBe('203.0.113.7:51820')
      const b = await add('b', { endpoint: '[2001:db8::7]:51820' })
      expect(b.body.slot).toBe(1)
      expect((await operator.delete(`/v1/uplinks/${a.body.id}`)).status).toBe(204)
      expect((await add('c')).body.slot).toBe(0)
      expect((await operator.get(`/v1/uplinks/${b.body.id}`)).body.slot).toBe(1)

      const renamed = await operator.patch(
        `/v1/uplinks/${b.body.id}`,
        { priority: 5 },
        { 'if-match': '"1"' },
      )
      expect(renamed.body.priority).toBe(5)
      expect(renamed.body.slot).toBe(1)
      const list = await operator.get(`/v1/sites/${site.id}/uplinks`)
      expect(list.body.items.map((u: { name: string }) => u.name).sort()).toEqual(['b', 'c'])
    })

    it('rejects bad endpoints, interface names, duplicates and a 17th uplink', async () => {
      const { operator } = await newOrg(target())
      const site = (await operator.post('/v1/sites', { name: 's' })).body
      const path = `/v1/sites/${site.id}/uplinks`
      for (const endpoint of ['nohost', 'host:0', 'host:70000', '[::1:51820', '1.2.3.4']) {
        const res = await operator.post(path, { name: 'x', interface: 'eth0', endpoint })
        expectProblem(res, 422, 'validation-failed')
        expect(res.body.errors[0].path, endpoint).toBe('endpoint')
      }
      expectProblem(
        await operator.post(path, { name: 'x', interface: 'a-very-long-interface-name' }),
        422,
        'validation-failed',
      )
      for (let i = 0; i < 16; i++) {
        expect((await operator.post(path, { name: `u${i}`, interface: `eth${i}` })).status).toBe(
          201,
        )
      }
      expectProblem(await operator.post(path, { name: 'u0', interface: 'eth0' }), 409, 'conflict')
      const full = await operator.post(path, { name: 'u16', interface: 'eth16' })
      expectProblem(full, 409, 'conflict')
      expect(full.body.detail).toMatch(/at most 16/)
    })

    it('deleting a site removes its uplinks', async () => {
      const { operator } = await newOrg(target())
      const site = (await operator.post('/v1/sites', { name: 's' })).body
      const up = await operator.post(`/v1/sites/${site.id}/uplinks`, {
        name: 'a',
        interface: 'eth0',
      })
      expect((await operator.delete(`/v1/sites/${site.id}`)).status).toBe(204)
      expectProblem(await operator.get(`/v1/uplinks/${up.body.id}`), 404, 'not-found')
    })
  })

  describe('policies', () => {
    const voice = {
      name: 'voice',
      priority: 10,
      match: {
        applications: ['sip', 'rtp'],
        protocols: ['udp'],
        ports: [5060, '10000-20000'],
        dscp: [46],
      },
      action: {
        preference: 'lowest-latency',
        sla: { maxLatencyMs: 150, maxJitterMs: 30, maxLossPct: 1 },
        fec: true,
      },
    }

    it('creates, updates and deletes a policy', async () => {
      const { operator, viewer } = await newOrg(target())
      const created = await operator.post('/v1/policies', {
        ...voice,
        match: { ...voice.match, destinationPrefixes: ['10.9.0.1/16'] },
      })
      expect(created.status).toBe(201)
      expect(created.body.match.destinationPrefixes).toEqual(['10.9.0.0/16'])
      const id = created.body.id
      expect((await viewer.get(`/v1/policies/${id}`)).body.name).toBe('voice')
      // A custom policy may only name a scorer plugin the org has (suite-scorers.ts).
      const plugin = await operator.target.fetch('/v1/scorers/my-scorer', {
        method: 'PUT',
        headers: { authorization: `Bearer ${operator.token}`, 'content-type': 'application/wasm' },
        body: exampleScorer,
      })
      expect(plugin.status).toBe(201)
      const custom = await operator.patch(`/v1/policies/${id}`, {
        action: { preference: 'custom', scorer: 'my-scorer' },
      })
      expect(custom.status).toBe(200)
      expect(custom.body.action).toEqual({ preference: 'custom', scorer: 'my-scorer' })
      expect((await operator.get('/v1/policies')).body.items).toHaveLength(1)
      expect((await operator.delete(`/v1/policies/${id}`)).status).toBe(204)
      expect((await operator.get('/v1/policies')).body.items).toHaveLength(0)
    })

    it('rejects invalid matches and actions field by field', async () => {
      const { operator } = await newOrg(target())
      const res = await operator.post('/v1/policies', {
        name: 'bad',
        priority: 1,
        match: { ports: ['9000-80', 0], dscp: [64], protocols: ['sctp'], sourcePrefixes: ['nope'] },
        action: { preference: 'custom', fec: 'yes' },
      })
      expectProblem(res, 422, 'validation-failed')
      const paths = res.body.errors.map((e: { path: string }) => e.path)
      for (const p of [
        'match.ports.0',
        'match.ports.1',
        'match.dscp.0',
        'match.protocols.0',
        'match.sourcePrefixes.0',
        'action.fec',
      ]) {
        expect(paths, p).toContain(p)
      }
      const noScorer = await operator.post('/v1/policies', {
        ...voice,
        action: { preference: 'custom' },
      })
      expectProblem(noScorer, 422, 'validation-failed')
      expect(noScorer.body.errors[0].path).toBe('action.scorer')
    })

    it('priorities and names are unique per org', async () => {
      const { operator } = await newOrg(target())
      expect((await operator.post('/v1/policies', voice)).status).toBe(201)
      const samePriority = await operator.post('/v1/policies', { ...voice, name: 'other' })
      expectProblem(samePriority, 409, 'conflict')
      expect(samePriority.body.detail).toMatch(/priority 10/)
      expectProblem(
        await operator.post('/v1/policies', { ...voice, priority: 11 }),
        409,
        'conflict',
      )
    })
  })
}
