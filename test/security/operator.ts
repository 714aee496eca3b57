/**
 * Actor: an org operator (read-write token). May configure its own org's network and
 * alerting; may not stall the control plane for everyone else (docs/security.md).
 */
import { describe, expect, it } from 'vitest'
import { enrollAgent } from '../api/agent-client'
import { type ApiTarget, expectProblem, newOrg } from '../api/harness'
import { siteWithToken } from '../api/suite-agents'

export function operatorSecurity(target: () => ApiTarget) {
  describe('security: operator', () => {
    it('finding 1: a catastrophic-backtracking selector regex cannot stall event ingestion', async () => {
      const { operator, viewer } = await newOrg(target())
      // `(a+)+b` against 128 'a's: 2^128 steps for a backtracking engine; linear for RE2.
      const victim = await siteWithToken(operator, {
        name: 'victim',
        role: 'mesh',
        prefixes: ['10.71.0.0/16'],
        labels: { k: 'a'.repeat(128) },
      })
      const peer = await operator.post('/v1/sites', { name: 'peer', prefixes: ['10.72.0.0/16'] })
      expect(peer.status, JSON.stringify(peer.body)).toBe(201)
      const enrolled = await enrollAgent(target(), victim.token, [
        { name: 'wan1', interface: 'eth1', endpoint: '198.18.71.1:51820' },
      ])
      expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201)
      const rule = (name: string, siteSelector: string) =>
        operator.post('/v1/alert-rules', { name, eventTypes: ['path.down'], siteSelector })
      const evil = await rule('evil', 'k=~(a+)+b')
      expect(evil.status, JSON.stringify(evil.body)).toBe(201)
      const good = await rule('all a', 'k=~a+')
      expect(good.status, JSON.stringify(good.body)).toBe(201)

      const event = (type: string) => ({
        events: [
          { type, at: Date.now(), path: { peerSiteId: peer.body.id, localSlot: 0, remoteSlot: 0 } },
        ],
      })
      // A first event no rule opens an alert for warms the runtime (module load, JIT); a
      // backtracking matcher would already hang here, as every rule's selector is tried.
      const warm = await enrolled.agent.request('POST', '/v1/agent/events', event('path.up'))
      expect(warm.status, JSON.stringify(warm.body)).toBe(201)
      const started = performance.now()
      const posted = await enrolled.agent.request('POST', '/v1/agent/events', event('path.down'))
      const elapsedMs = performance.now() - started
      expect(posted.status, JSON.stringify(posted.body)).toBe(201)
      expect(elapsedMs).toBeLessThan(50)

      // Evaluation is still right: the matching regex fires, the catastrophic one does not.
      const fired = await viewer.get(`/v1/alerts?status=firing&ruleId=${good.body.id}`)
      expect(fired.body.items).toHaveLength(1)
      expect(fired.body.items[0].siteId).toBe(victim.site.id)
      const quiet = await viewer.get(`/v1/alerts?ruleId=${evil.body.id}`)
      expect(quiet.body.items).toHaveLength(0)

      // Syntax RE2 does not have (lookaround, backreferences) is refused when written.
      for (const siteSelector of ['k=~(?=a)a', 'k=~(a)\\1']) {
        const refused = await operator.post('/v1/alert-rules', {
          name: `bad ${siteSelector}`,
          eventTypes: ['path.down'],
          siteSelector,
        })
        expectProblem(refused, 422, 'validation-failed')
        expect(refused.body.detail).toMatch(/unsupported regex/)
      }
      const silence = await operator.post('/v1/silences', {
        siteSelector: 'k=~(?<=a)b',
        comment: 'lookbehind',
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      })
      expectProblem(silence, 422, 'validation-failed')
    })

    it('finding 11: a webhook to an IPv6 form of an internal IPv4 address is refused', async () => {
      // Both suites run without PATRONUS_WEBHOOK_ALLOW_PRIVATE, as a deployment does.
      const { operator } = await newOrg(target())
      for (const url of [
        'http://[::ffff:0:7f00:1]/', // IPv4-translated 127.0.0.1
        'http://[::ffff:0:127.0.0.1]/',
        'http://[64:ff9b::7f00:1]/', // NAT64
        'http://[64:ff9b:1::a9fe:a9fe]/', // NAT64 local-use, 169.254.169.254
        'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', // Teredo
        'http://[2002:a9fe:a9fe::1]/', // 6to4 of 169.254.169.254
      ]) {
        const created = await operator.post('/v1/webhooks', { url, events: ['path.down'] })
        expectProblem(created, 422, 'validation-failed')
        expect(created.body.errors[0].path, url).toBe('url')
      }
      const listed = await operator.get('/v1/webhooks')
      expect(listed.body.items).toHaveLength(0)
    })
  })
}
