import { describe, expect, it } from 'vitest'
import { type ApiTarget, Client, expectProblem, newOrg } from './harness'
import { enrolledSites } from './suite-agents'

const MINUTE = 60_000

/** Classifier traffic per class and application: agent deltas -> rollups -> series. */
export function trafficSuite(target: () => ApiTarget) {
  describe('classifier traffic per class and application', () => {
    it('sums the agents’ deltas per minute and serves series and totals at any step', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      const voice = await operator.post('/v1/policies', {
        name: 'voice',
        priority: 1,
        match: { applications: ['sip'] },
        action: { preference: 'lowest-latency' },
      })
      const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE
      const post = (at: number, voicePackets: number, defaultPackets: number) =>
        sites.a!.agent.request('POST', '/v1/agent/telemetry', {
          samples: [],
          activePaths: [],
          traffic: {
            at,
            classes: [
              { class: voice.body.id, packets: voicePackets, bytes: voicePackets * 200 },
              { class: 'default', packets: defaultPackets, bytes: defaultPackets * 1000 },
            ],
            applications: [
              { application: 'sip', packets: voicePackets, bytes: voicePackets * 200 },
            ],
          },
        })
      for (const [at, v, d] of [
        [t0 + 10_000, 10, 0], // a zero delta stores nothing
        [t0 + 20_000, 5, 7],
        [t0 + MINUTE + 5_000, 1, 3],
      ] as const) {
        const res = await post(at, v, d)
        expect(res.status, JSON.stringify(res.body)).toBe(204)
      }
      const site = sites.a!.siteId
      const range = `from=${new Date(t0).toISOString()}&to=${new Date(t0 + 2 * MINUTE).toISOString()}`
      const perMinute = await viewer.get(`/v1/sites/${site}/traffic?${range}&step=60`)
      expect(perMinute.status, JSON.stringify(perMinute.body)).toBe(200)
      const byClass = Object.fromEntries(
        perMinute.body.classes.map((c: { className: string }) => [c.className, c]),
      )
      expect(byClass.voice).toMatchObject({ class: voice.body.id, packets: 16, bytes: 3200 })
      expect(byClass.voice.points.map((p: { packets: number }) => p.packets)).toEqual([15, 1])
      expect(byClass.default).toMatchObject({ class: 'default', packets: 10, bytes: 10_000 })
      expect(byClass.default.points).toHaveLength(2)
      expect(perMinute.body.applications).toEqual([
        expect.objectContaining({ application: 'sip', packets: 16, bytes: 3200 }),
      ])
      const merged = await viewer.get(`/v1/sites/${site}/traffic?${range}&step=120`)
      const voiceMerged = merged.body.classes.find(
        (c: { className: string }) => c.className === 'voice',
      )
      expect(voiceMerged.points).toEqual([
        { t: new Date(t0).toISOString(), packets: 16, bytes: 3200 },
      ])

      expectProblem(
        await viewer.get(`/v1/sites/${site}/traffic?${range}&step=90`),
        422,
        'validation-failed',
      )
      const other = await newOrg(target())
      expectProblem(await other.viewer.get(`/v1/sites/${site}/traffic?${range}`), 404, 'not-found')
    })

    it('is in the OpenAPI document: the endpoint, the telemetry field, the policy fields', async () => {
      const doc = await new Client(target(), undefined).get('/openapi.json')
      expect(doc.status).toBe(200)
      expect(doc.body.paths['/v1/sites/{siteId}/traffic']?.get).toBeDefined()
      const schemas = doc.body.components.schemas
      expect(Object.keys(schemas.TelemetryBatch.properties)).toContain('traffic')
      expect(schemas.SiteTraffic).toBeDefined()
      expect(JSON.stringify(doc.body)).toContain('ceilMbps')
    })

    it('policies take qos and balance, validated', async () => {
      const { operator } = await newOrg(target())
      const ok = await operator.post('/v1/policies', {
        name: 'bulk',
        priority: 5,
        match: { ports: [5300] },
        action: {
          preference: 'load-balance',
          balance: 'per-packet',
          qos: { rateMbps: 10, ceilMbps: 50, priority: 2 },
        },
      })
      expect(ok.status, JSON.stringify(ok.body)).toBe(201)
      expect(ok.body.action).toMatchObject({ balance: 'per-packet', qos: { rateMbps: 10 } })
      const bad = await operator.post('/v1/policies', {
        name: 'voice',
        priority: 6,
        match: { ports: [5060] },
        action: { preference: 'lowest-latency', balance: 'per-flow', qos: { rateMbps: 0 } },
      })
      expectProblem(bad, 422, 'validation-failed')
    })

    it('rejects malformed traffic: negative or fractional counts, unknown fields', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      for (const traffic of [
        {
          at: Date.now(),
          classes: [{ class: 'default', packets: -1, bytes: 0 }],
          applications: [],
        },
        {
          at: Date.now(),
          classes: [{ class: 'default', packets: 1.5, bytes: 0 }],
          applications: [],
        },
        { at: Date.now(), classes: [], applications: [], extra: 1 },
        { at: Date.now(), classes: [{ class: '', packets: 1, bytes: 1 }], applications: [] },
      ]) {
        const res = await sites.a!.agent.request('POST', '/v1/agent/telemetry', {
          samples: [],
          traffic,
        })
        expect(res.status, JSON.stringify(traffic)).toBe(422)
      }
    })
  })
}
