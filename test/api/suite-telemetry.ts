import { describe, expect, it } from 'vitest'
import { type ApiTarget, expectProblem, newOrg } from './harness'
import { enrolledSites } from './suite-agents'

const MINUTE = 60_000

export function telemetrySuite(target: () => ApiTarget) {
  describe('telemetry, paths and metrics', () => {
    it('stores the latest state per path, active paths and one-minute rollups', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
      ])
      const voice = await operator.post('/v1/policies', {
        name: 'voice',
        priority: 1,
        match: { dscp: [46] },
        action: { preference: 'lowest-latency' },
      })
      const b = sites.b!.siteId
      const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE
      const sample = (at: number, slot: number, rttMs: number, lossPct: number, state = 'up') => ({
        at,
        path: { peerSiteId: b, localSlot: slot, remoteSlot: 0 },
        state,
        rttMs,
        jitterMs: 1,
        lossPct,
        mos: 4.2,
      })
      const batch = {
        samples: [
          sample(t0 + 10_000, 0, 10, 0),
          sample(t0 + 20_000, 0, 20, 2),
          sample(t0 + MINUTE + 10_000, 0, 30, 4),
          sample(t0 + 10_000, 1, 50, 0, 'down'),
        ],
        activePaths: [
          {
            class: voice.body.id,
            path: { peerSiteId: b, localSlot: 0, remoteSlot: 0 },
            reason: 'lowest latency',
            since: t0,
          },
          {
            class: 'default',
            path: { peerSiteId: b, localSlot: 1, remoteSlot: 0 },
            reason: 'only path',
            since: t0,
          },
        ],
      }
      const posted = await sites.a!.agent.request('POST', '/v1/agent/telemetry', batch)
      expect(posted.status, JSON.stringify(posted.body)).toBe(204)
      // A late batch with an older sample must not overwrite the newer state.
      const late = { samples: [sample(t0, 0, 999, 50)], activePaths: [] }
      expect((await sites.a!.agent.request('POST', '/v1/agent/telemetry', late)).status).toBe(204)

      const paths = await viewer.get(`/v1/sites/${sites.a!.siteId}/paths`)
      expect(paths.status).toBe(200)
      expect(paths.body.paths).toHaveLength(2)
      expect(paths.body.paths[0]).toMatchObject({
        peerSiteName: 'b',
        localSlot: 0,
        state: 'up',
        rttMs: 30,
        lossPct: 4,
      })
      expect(paths.body.paths[1]).toMatchObject({ localSlot: 1, state: 'down' })
      const classes = Object.fromEntries(
        paths.body.activePaths.map((a: { className: string; localSlot: number }) => [
          a.className,
          a.localSlot,
        ]),
      )
      expect(classes).toEqual({ voice: 0, default: 1 })

      const range = `from=${new Date(t0).toISOString()}&to=${new Date(t0 + 2 * MINUTE).toISOString()}`
      const perMinute = await viewer.get(
        `/v1/sites/${sites.a!.siteId}/paths/metrics?${range}&step=60`,
      )
      expect(perMinute.status, JSON.stringify(perMinute.body)).toBe(200)
      const slot0 = perMinute.body.series.find(
        (s: { path: { localSlot: number } }) => s.path.localSlot === 0,
      )
      // Minute 0 holds 10, 20 and the late 999; minute 1 holds 30.
      expect(slot0.points.map((p: { rttMs: number }) => p.rttMs)).toEqual([343, 30])
      expect(slot0.points[0]).toMatchObject({ samples: 3, rttMaxMs: 999 })
      const twoMinutes = await viewer.get(
        `/v1/sites/${sites.a!.siteId}/paths/metrics?${range}&step=120`,
      )
      const merged = twoMinutes.body.series.find(
        (s: { path: { localSlot: number } }) => s.path.localSlot === 0,
      )
      expect(merged.points).toHaveLength(1)
      expect(merged.points[0].samples).toBe(4)
      const slot1 = perMinute.body.series.find(
        (s: { path: { localSlot: number } }) => s.path.localSlot === 1,
      )
      expect(slot1.points[0].downPct).toBe(100)

      expectProblem(
        await viewer.get(`/v1/sites/${sites.a!.siteId}/paths/metrics?${range}&step=90`),
        422,
        'validation-failed',
      )
      const wide = `from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`
      expectProblem(
        await viewer.get(`/v1/sites/${sites.a!.siteId}/paths/metrics?${wide}&step=60`),
        422,
        'validation-failed',
      )
    })

    it('rejects telemetry about sites outside the agent’s org and malformed batches', async () => {
      const { operator } = await newOrg(target())
      const other = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      const foreign = (await other.operator.post('/v1/sites', { name: 'x' })).body.id
      const batch = {
        samples: [
          {
            at: Date.now(),
            path: { peerSiteId: foreign, localSlot: 0, remoteSlot: 0 },
            state: 'up',
            rttMs: 1,
            jitterMs: 1,
            lossPct: 0,
            mos: 4,
          },
        ],
      }
      const res = await sites.a!.agent.request('POST', '/v1/agent/telemetry', batch)
      expectProblem(res, 422, 'validation-failed')
      expect(res.body.detail).toContain(foreign)
      const bad = await sites.a!.agent.request('POST', '/v1/agent/telemetry', {
        samples: [{ at: -1 }],
      })
      expectProblem(bad, 422, 'validation-failed')
    })
  })

  describe('events', () => {
    it('stores agent path events and control-plane events, filterable and paged', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
      ])
      const path = { peerSiteId: sites.b!.siteId, localSlot: 0, remoteSlot: 1 }
      const now = Date.now()
      const posted = await sites.a!.agent.request('POST', '/v1/agent/events', {
        events: [
          { type: 'path.down', at: now - 1000, path },
          {
            type: 'path.failover',
            at: now,
            path,
            class: 'default',
            details: { to: { localSlot: 1, remoteSlot: 1 } },
          },
        ],
      })
      expect(posted.status, JSON.stringify(posted.body)).toBe(201)
      expect(posted.body.ids).toHaveLength(2)

      const failovers = await viewer.get('/v1/events?type=path.failover')
      expect(failovers.body.items).toHaveLength(1)
      expect(failovers.body.items[0]).toMatchObject({
        type: 'path.failover',
        siteId: sites.a!.siteId,
        source: 'agent',
        severity: 'warning',
      })
      expect(failovers.body.items[0].details.path).toEqual(path)

      const all = await viewer.get(`/v1/events?siteId=${sites.a!.siteId}&limit=100`)
      const types = all.body.items.map((e: { type: string }) => e.type)
      expect(types).toEqual(
        expect.arrayContaining(['path.down', 'path.failover', 'agent.enrolled', 'site.created']),
      )
      const since = await viewer.get(
        `/v1/events?siteId=${sites.a!.siteId}&since=${new Date(now - 500).toISOString()}`,
      )
      expect(since.body.items.map((e: { type: string }) => e.type)).not.toContain('path.down')

      const page1 = await viewer.get(`/v1/events?siteId=${sites.a!.siteId}&limit=1`)
      const page2 = await viewer.get(
        `/v1/events?siteId=${sites.a!.siteId}&limit=1&cursor=${page1.body.nextCursor}`,
      )
      expect(page2.body.items[0].id < page1.body.items[0].id).toBe(true)

      expectProblem(await viewer.get('/v1/events?type=nope'), 422, 'validation-failed')
      const agentOnly = await sites.a!.agent.request('POST', '/v1/agent/events', {
        events: [{ type: 'agent.online', at: now }],
      })
      expectProblem(agentOnly, 422, 'validation-failed')
    })

    it('raises agent.online once per change, policy.changed and agent.revoked', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      const beat = { agentVersion: '0.1.0', uptimeSeconds: 1 }
      await sites.a!.agent.request('POST', '/v1/agent/heartbeat', beat)
      await sites.a!.agent.request('POST', '/v1/agent/heartbeat', beat)
      const online = await viewer.get('/v1/events?type=agent.online')
      expect(online.body.items).toHaveLength(1)
      await operator.post('/v1/policies', {
        name: 'p',
        priority: 1,
        match: {},
        action: { preference: 'lowest-cost' },
      })
      expect((await viewer.get('/v1/events?type=policy.changed')).body.items).toHaveLength(1)
      await operator.delete(`/v1/agents/${sites.a!.agent.agentId}`)
      const revoked = await viewer.get('/v1/events?type=agent.revoked')
      expect(revoked.body.items[0].siteId).toBe(sites.a!.siteId)
    })

    it('operators may raise events by hand; viewers may not', async () => {
      const { operator, viewer } = await newOrg(target())
      const site = (await operator.post('/v1/sites', { name: 's' })).body
      const raised = await operator.post('/v1/events', {
        type: 'path.sla_violation',
        siteId: site.id,
        details: { note: 'drill' },
      })
      expect(raised.status).toBe(201)
      expect(raised.body).toMatchObject({
        source: 'operator',
        severity: 'warning',
        siteId: site.id,
      })
      expectProblem(await viewer.post('/v1/events', { type: 'path.down' }), 403, 'forbidden')
      expectProblem(
        await operator.post('/v1/events', { type: 'path.down', siteId: 'site_0000' }),
        404,
        'not-found',
      )
    })
  })
}
