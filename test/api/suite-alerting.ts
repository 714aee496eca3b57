/**
 * Webhook endpoints, alert rules, alerts and silences over the API, on both runtimes.
 * Endpoints here are created disabled or point at public names, so nothing is sent:
 * delivery itself is tested on Node with a real receiver (test/webhooks/).
 */
import { describe, expect, it } from 'vitest'
import { signatureHeader } from '../../worker/services/webhooks/signing'
import { type ApiTarget, type Client, expectProblem, newOrg } from './harness'

const pathDown = (siteId: string, localSlot: number, type = 'path.down') => ({
  type,
  siteId,
  details: { path: { peerSiteId: 'site_peer', localSlot, remoteSlot: 0 } },
})

async function site(client: Client, name: string, labels: Record<string, string> = {}) {
  const res = await client.post('/v1/sites', { name, labels })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}

export function alertingSuite(target: () => ApiTarget) {
  describe('webhook endpoints', () => {
    it('signs with the standardwebhooks package on this runtime (the spec example)', () => {
      const header = signatureHeader(
        ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      )
      const sig = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
      expect(header).toBe(`${sig} ${sig}`)
    })

    it('documents every alerting and webhook route in the OpenAPI document', async () => {
      const doc = (await (await target().fetch('/openapi.json')).json()) as {
        paths: Record<string, unknown>
      }
      for (const path of [
        '/v1/webhooks',
        '/v1/webhooks/{webhookId}',
        '/v1/webhooks/{webhookId}/rotate-secret',
        '/v1/webhooks/{webhookId}/deliveries',
        '/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver',
        '/v1/alert-rules',
        '/v1/alert-rules/{ruleId}',
        '/v1/alerts',
        '/v1/alerts/{alertId}',
        '/v1/alerts/{alertId}/ack',
        '/v1/silences',
        '/v1/silences/{silenceId}',
      ]) {
        expect(doc.paths[path], path).toBeDefined()
      }
    })

    it('creates with a secret shown once, lists, updates with If-Match, rotates, deletes', async () => {
      const { operator, viewer } = await newOrg(target())
      const created = await operator.post('/v1/webhooks', {
        url: 'https://hooks.example.com/patronus',
        events: ['path.down', 'alert.firing', 'path.down'],
        format: 'slack',
        enabled: false,
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
      expect(created.body).toMatchObject({ events: ['path.down', 'alert.firing'], format: 'slack' })
      const id = created.body.id
      const got = await viewer.get(`/v1/webhooks/${id}`)
      expect(got.status).toBe(200)
      expect(got.body.secret).toBeUndefined()
      expect(got.headers.get('etag')).toBe('"1"')
      expect((await viewer.get('/v1/webhooks')).body.items).toHaveLength(1)

      const stale = await operator.patch(
        `/v1/webhooks/${id}`,
        { events: ['*'] },
        { 'if-match': '"9"' },
      )
      expectProblem(stale, 412, 'precondition-failed')
      const patched = await operator.patch(
        `/v1/webhooks/${id}`,
        { events: ['*'] },
        { 'if-match': '"1"' },
      )
      expect(patched.status).toBe(200)
      expect(patched.body).toMatchObject({ events: ['*'], version: 2 })

      const rotated = await operator.post(`/v1/webhooks/${id}/rotate-secret`, undefined)
      expect(rotated.status).toBe(200)
      expect(rotated.body.secret).toMatch(/^whsec_/)
      expect(rotated.body.secret).not.toBe(created.body.secret)
      const overlap = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()
      expect(overlap).toBeGreaterThan(23 * 3_600_000)
      expect(overlap).toBeLessThanOrEqual(24 * 3_600_000)

      const log = await viewer.get(`/v1/webhooks/${id}/deliveries`)
      expect(log.status).toBe(200)
      expect(log.body).toEqual({ items: [], nextCursor: null })
      const missing = await operator.post(
        `/v1/webhooks/${id}/deliveries/msg_00000000000000000000000000ab/redeliver`,
        undefined,
      )
      expect(missing.status).toBe(409) // disabled endpoint: enable it first
      expect((await operator.delete(`/v1/webhooks/${id}`)).status).toBe(204)
      expectProblem(await viewer.get(`/v1/webhooks/${id}`), 404, 'not-found')
    })

    it('refuses bad URLs, private targets, unknown event types, and viewers', async () => {
      const { operator, viewer } = await newOrg(target())
      const base = { events: ['path.down'], enabled: false }
      for (const url of [
        'not a url',
        'ftp://example.com/x',
        'https://user:pw@example.com/x',
        'http://127.0.0.1:8080/hook',
        'http://localhost/hook',
        'http://10.1.2.3/hook',
        'http://192.168.1.1/hook',
        'http://169.254.169.254/latest/meta-data',
        'http://100.64.0.1/hook',
        'http://[::1]/hook',
        'http://[fd00::1]/hook',
        'http://[fe80::1]/hook',
        'http://[::ffff:127.0.0.1]/hook',
        'http://2130706433/hook',
      ]) {
        const res = await operator.post('/v1/webhooks', { ...base, url })
        expectProblem(res, 422, 'validation-failed')
        expect(res.body.errors[0].path, url).toBe('url')
      }
      const unknown = await operator.post('/v1/webhooks', {
        ...base,
        url: 'https://hooks.example.com/x',
        events: ['path.exploded'],
      })
      expectProblem(unknown, 422, 'validation-failed')
      expect(unknown.body.errors[0].path).toBe('events.0')
      const noEvents = await operator.post('/v1/webhooks', {
        ...base,
        url: 'https://a.example',
        events: [],
      })
      expectProblem(noEvents, 422, 'validation-failed')
      const badFormat = await operator.post('/v1/webhooks', {
        ...base,
        url: 'https://a.example',
        format: 'xml',
      })
      expectProblem(badFormat, 422, 'validation-failed')
      const asViewer = await viewer.post('/v1/webhooks', { ...base, url: 'https://a.example' })
      expectProblem(asViewer, 403, 'forbidden')
    })
  })

  describe('alert rules', () => {
    it('validates event types, selectors, regexes, sites and the rule kind', async () => {
      const { operator } = await newOrg(target())
      const bad = async (body: Record<string, unknown>, path: string) => {
        const res = await operator.post('/v1/alert-rules', { name: 'r', ...body })
        expectProblem(res, 422, 'validation-failed')
        expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path)
      }
      await bad({ eventTypes: ['path.melted'] }, 'eventTypes.0')
      await bad({ eventTypes: ['path.down'], siteSelector: 'region=~(eu' }, 'siteSelector')
      await bad({ eventTypes: ['path.down'], siteSelector: '=eu' }, 'siteSelector')
      await bad({ eventTypes: ['path.down'], siteSelector: 'region=eu,,tier=1' }, 'siteSelector')
      await bad({ eventTypes: ['path.down'], siteSelector: '!region=eu' }, 'siteSelector')
      await bad({ eventTypes: ['path.down'], minSeverity: 'fatal' }, 'minSeverity')
      await bad({}, '')
      await bad(
        {
          eventTypes: ['path.down'],
          metric: { name: 'lossPct', op: 'gt', threshold: 5, windowSeconds: 60 },
        },
        '',
      )
      await bad(
        { metric: { name: 'lossPct', op: 'gt', threshold: 5, windowSeconds: 90 } },
        'metric.windowSeconds',
      )
      await bad(
        { metric: { name: 'bandwidth', op: 'gt', threshold: 5, windowSeconds: 60 } },
        'metric.name',
      )
      await bad({ eventTypes: ['path.down'], siteIds: ['site_nope'] }, 'siteIds')

      const ok = await operator.post('/v1/alert-rules', {
        name: 'eu paths',
        eventTypes: ['path.down'],
        siteSelector: 'region=~eu-.*, !lab',
      })
      expect(ok.status, JSON.stringify(ok.body)).toBe(201)
      expect(ok.body).toMatchObject({ kind: 'event', minSeverity: 'info', enabled: true })
      expectProblem(
        await operator.post('/v1/alert-rules', { name: 'eu paths', eventTypes: ['path.up'] }),
        409,
        'conflict',
      )
      const metric = await operator.post('/v1/alert-rules', {
        name: 'lossy',
        metric: { name: 'lossPct', op: 'gt', threshold: 5, windowSeconds: 60 },
      })
      expect(metric.status).toBe(201)
      expect(metric.body.kind).toBe('metric')
      const patch = await operator.patch(`/v1/alert-rules/${metric.body.id}`, {
        eventTypes: ['path.down'],
      })
      expectProblem(patch, 422, 'validation-failed')
      const renamed = await operator.patch(
        `/v1/alert-rules/${ok.body.id}`,
        { enabled: false },
        { 'if-match': '"1"' },
      )
      expect(renamed.body).toMatchObject({ enabled: false, version: 2 })
      expect((await operator.get('/v1/alert-rules')).body.items).toHaveLength(2)
      expect((await operator.delete(`/v1/alert-rules/${metric.body.id}`)).status).toBe(204)
      expectProblem(await operator.get(`/v1/alert-rules/${metric.body.id}`), 404, 'not-found')
    })

    it('groups events into one alert per incident, resolves on the paired event, acks', async () => {
      const { operator, viewer } = await newOrg(target())
      const eu = await site(operator, 'eu1', { region: 'eu-west' })
      const us = await site(operator, 'us1', { region: 'us-east' })
      const rule = await operator.post('/v1/alert-rules', {
        name: 'eu path down',
        eventTypes: ['path.down'],
        siteSelector: 'region=~eu-.*',
      })
      expect(rule.status).toBe(201)
      for (const body of [pathDown(eu, 0), pathDown(eu, 0), pathDown(eu, 1), pathDown(us, 0)]) {
        expect((await operator.post('/v1/events', body)).status).toBe(201)
      }
      const firing = await viewer.get(`/v1/alerts?status=firing&ruleId=${rule.body.id}`)
      expect(firing.body.items).toHaveLength(2)
      const slot0 = firing.body.items.find((a: { incidentKey: string }) =>
        a.incidentKey.endsWith('/0/0'),
      )
      expect(slot0).toMatchObject({
        siteId: eu,
        eventCount: 2,
        ruleName: 'eu path down',
        severity: 'warning',
        status: 'firing',
      })
      expect(slot0.notifiedAt).not.toBeNull()

      expect((await operator.post('/v1/events', pathDown(eu, 0, 'path.up'))).status).toBe(201)
      const resolved = await viewer.get(`/v1/alerts/${slot0.id}`)
      expect(resolved.body.status).toBe('resolved')
      expect(resolved.body.resolvedAt).not.toBeNull()
      expect((await viewer.get('/v1/alerts?status=firing')).body.items).toHaveLength(1)
      // A new path.down after the resolve is a new incident.
      await operator.post('/v1/events', pathDown(eu, 0))
      expect((await viewer.get('/v1/alerts?status=firing')).body.items).toHaveLength(2)

      const other = firing.body.items.find((a: { id: string }) => a.id !== slot0.id)
      expectProblem(await viewer.post(`/v1/alerts/${other.id}/ack`, undefined), 403, 'forbidden')
      const acked = await operator.post(`/v1/alerts/${other.id}/ack`, undefined)
      expect(acked.status).toBe(200)
      expect(acked.body.acknowledgedAt).not.toBeNull()
      const again = await operator.post(`/v1/alerts/${other.id}/ack`, undefined)
      expect(again.body.acknowledgedAt).toBe(acked.body.acknowledgedAt)
      expectProblem(await operator.post('/v1/alerts/alr_nope/ack', undefined), 404, 'not-found')
    })

    it('applies the minimum severity and site filters', async () => {
      const { operator, viewer } = await newOrg(target())
      const a = await site(operator, 'a')
      const b = await site(operator, 'b')
      const rule = await operator.post('/v1/alert-rules', {
        name: 'critical on a',
        eventTypes: ['path.sla_violation'],
        siteIds: [a],
        minSeverity: 'critical',
      })
      await operator.post('/v1/events', { ...pathDown(a, 0, 'path.sla_violation') })
      await operator.post('/v1/events', {
        ...pathDown(b, 0, 'path.sla_violation'),
        severity: 'critical',
      })
      expect((await viewer.get(`/v1/alerts?ruleId=${rule.body.id}`)).body.items).toHaveLength(0)
      await operator.post('/v1/events', {
        ...pathDown(a, 0, 'path.sla_violation'),
        severity: 'critical',
      })
      const alerts = (await viewer.get(`/v1/alerts?ruleId=${rule.body.id}`)).body.items
      expect(alerts).toHaveLength(1)
      expect(alerts[0]).toMatchObject({ siteId: a, severity: 'critical' })
    })
  })

  describe('silences', () => {
    it('mutes matching alerts until they end and validates input', async () => {
      const { operator, viewer } = await newOrg(target())
      const a = await site(operator, 'a', { tier: 'lab' })
      const rule = await operator.post('/v1/alert-rules', {
        name: 'down',
        eventTypes: ['path.down'],
      })
      const endsAt = new Date(Date.now() + 3_600_000).toISOString()
      const bad = async (body: Record<string, unknown>) =>
        expectProblem(await operator.post('/v1/silences', body), 422, 'validation-failed')
      await bad({ comment: 'everything', endsAt })
      await bad({ siteSelector: 'tier=lab', comment: 'past', endsAt: '2001-01-01T00:00:00Z' })
      await bad({ siteSelector: 'tier=~[', comment: 'regex', endsAt })
      await bad({ siteSelector: 'tier=lab', endsAt })
      expectProblem(
        await operator.post('/v1/silences', { ruleId: 'arl_nope', comment: 'x', endsAt }),
        404,
        'not-found',
      )
      const silence = await operator.post('/v1/silences', {
        siteSelector: 'tier=lab',
        ruleId: rule.body.id,
        comment: 'lab maintenance',
        endsAt,
      })
      expect(silence.status, JSON.stringify(silence.body)).toBe(201)
      expect(silence.body.active).toBe(true)
      await operator.post('/v1/events', pathDown(a, 0))
      const [alert] = (await viewer.get(`/v1/alerts?ruleId=${rule.body.id}`)).body.items
      expect(alert.status).toBe('firing')
      expect(alert.notifiedAt).toBeNull()
      expect((await viewer.get('/v1/silences?active=true')).body.items).toHaveLength(1)
      expect((await operator.delete(`/v1/silences/${silence.body.id}`)).status).toBe(204)
      expect((await viewer.get(`/v1/silences/${silence.body.id}`)).body.active).toBe(false)
      expect((await viewer.get('/v1/silences?active=true')).body.items).toHaveLength(0)
    })
  })
}
