/**
 * Actor: an enrolled agent (signed requests with a site's identity key). May report its
 * own site's paths and events; may not plant data that outlives the window the control
 * plane accepts, spoof the fields the control plane derives, crash a request, or hold the
 * writer with one huge batch; once revoked, gets nothing more, not even from a long-poll it
 * started before (docs/security.md).
 */
import { describe, expect, it } from 'vitest'
import { type ApiTarget, expectProblem, newOrg } from '../api/harness'
import { enrolledSites } from '../api/suite-agents'
import { longPollInFlight } from './long-poll'

const YEAR_2100 = Date.UTC(2100, 0, 1)
/** The window's future edge (services/agent-time.ts), plus slack for the test's own run. */
const AHEAD_MS = 5 * 60_000 + 60_000

export function agentSecurity(target: () => ApiTarget) {
  describe('security: agent', () => {
    it('finding 9a: timestamps far in the future are clamped to the server clock', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.81.0.0/16' },
        { name: 'b', prefix: '10.82.0.0/16' },
      ])
      const path = { peerSiteId: sites.b!.siteId, localSlot: 0, remoteSlot: 0 }
      const sample = (at: number, rttMs: number) => ({
        at,
        path,
        state: 'up',
        rttMs,
        jitterMs: 1,
        lossPct: 0,
        mos: 4.2,
      })
      const future = await sites.a!.agent.request('POST', '/v1/agent/telemetry', {
        samples: [sample(YEAR_2100, 10)],
        activePaths: [{ class: 'default', path, reason: 'only path', since: YEAR_2100 }],
      })
      expect(future.status, JSON.stringify(future.body)).toBe(204)
      const paths = await viewer.get(`/v1/sites/${sites.a!.siteId}/paths`)
      expect(Date.parse(paths.body.paths[0].at)).toBeLessThan(Date.now() + AHEAD_MS)
      expect(Date.parse(paths.body.activePaths[0].since)).toBeLessThan(Date.now() + AHEAD_MS)
      // A sample dated 2100 would have pinned the path: a newer state never replaces it.
      const now = await sites.a!.agent.request('POST', '/v1/agent/telemetry', {
        samples: [sample(Date.now() + 1000, 77)],
        activePaths: [],
      })
      expect(now.status).toBe(204)
      const after = await viewer.get(`/v1/sites/${sites.a!.siteId}/paths`)
      expect(after.body.paths[0].rttMs).toBe(77)

      const event = await sites.a!.agent.request('POST', '/v1/agent/events', {
        events: [{ type: 'path.down', at: YEAR_2100, path }],
      })
      expect(event.status, JSON.stringify(event.body)).toBe(201)
      const stored = await viewer.get('/v1/events?type=path.down')
      expect(Date.parse(stored.body.items[0].at)).toBeLessThan(Date.now() + AHEAD_MS)
      // The agent's claim is kept, as a control-plane field beside the clamped time.
      expect(stored.body.items[0].details.reportedAt).toBe(YEAR_2100)
    })

    it('finding 9b: free-form details cannot set the path, class or agent of an event', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.83.0.0/16' },
        { name: 'b', prefix: '10.84.0.0/16' },
      ])
      const rule = await operator.post('/v1/alert-rules', {
        name: 'paths down',
        eventTypes: ['path.down'],
      })
      expect(rule.status).toBe(201)
      const path = { peerSiteId: sites.b!.siteId, localSlot: 1, remoteSlot: 2 }
      const down = await sites.a!.agent.request('POST', '/v1/agent/events', {
        events: [{ type: 'path.down', at: Date.now(), path }],
      })
      expect(down.status, JSON.stringify(down.body)).toBe(201)

      // A spoofed details.path used to key the incident: here it would resolve the real one.
      for (const details of [{ path }, { class: 'voice' }, { agentId: 'agt_someone_else' }]) {
        const spoofed = await sites.a!.agent.request('POST', '/v1/agent/events', {
          events: [{ type: 'path.up', at: Date.now(), details }],
        })
        expectProblem(spoofed, 422, 'validation-failed')
        expect(spoofed.body.errors[0].path).toBe(`events.0.details.${Object.keys(details)[0]}`)
      }
      const firing = await viewer.get(`/v1/alerts?status=firing&ruleId=${rule.body.id}`)
      expect(firing.body.items).toHaveLength(1)
      expect(firing.body.items[0].incidentKey).toBe(
        `path:${sites.a!.siteId}:${path.peerSiteId}/1/2`,
      )
      // The alert's own fields come from the control plane, not from details.
      const [event] = (await viewer.get('/v1/events?type=path.down')).body.items
      expect(firing.body.items[0].details).toMatchObject({ eventId: event.id, type: 'path.down' })
      expect(event.details.agentId).toBe(sites.a!.agent.agentId)
    })

    it('finding 7: a long-poll in flight when its agent is revoked answers 401, not the document', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.86.0.0/16' },
        { name: 'b', prefix: '10.87.0.0/16' },
      ])
      const agent = sites.a!.agent
      const first = await agent.config()
      expect(first.status).toBe(200)
      const poll = await longPollInFlight(agent, `"${first.body.revision}"`, 20)
      // Revoking bumps the site's revision: that change is what wakes the poll.
      expect((await operator.delete(`/v1/agents/${agent.agentId}`)).status).toBe(204)
      const answer = await poll.answer
      expectProblem(answer, 401, 'agent-revoked')
      expect(answer.body.peers).toBeUndefined()
      // Another change afterwards (a peer's prefixes) still gets the revoked agent nothing.
      expect(
        (await operator.patch(`/v1/sites/${sites.b!.siteId}`, { prefixes: ['10.87.0.0/17'] }))
          .status,
      ).toBe(200)
      expectProblem(
        await agent.config({ etag: `"${first.body.revision}"`, wait: 1 }),
        401,
        'agent-revoked',
      )
    })

    it('finding 9c: deeply nested JSON is a 400 problem, not a 500', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.85.0.0/16' }])
      const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
      const batch = (depth: number) =>
        `{"events":[{"type":"path.sla_violation","at":${Date.now()},"details":{"x":${nested(depth)}}}]}`
      const deep = await sites.a!.agent.request('POST', '/v1/agent/events', undefined, {
        rawBody: batch(100_000),
      })
      expectProblem(deep, 400, 'malformed-json')
      // Brackets inside strings are text, not nesting.
      const quoted = await sites.a!.agent.request('POST', '/v1/agent/events', undefined, {
        rawBody: batch(10).replace('"x":', `"x":"${nested(1000)}","y":`),
      })
      expect(quoted.status, JSON.stringify(quoted.body)).toBe(201)
      // Operator routes share the limit.
      const body = `{"type":"path.sla_violation","details":{"x":${nested(100_000)}}}`
      expectProblem(await operator.post('/v1/events', body), 400, 'malformed-json')
    })

    it('finding 5: an event batch holds at most 100 events (422 beyond); nothing of it is stored', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.86.0.0/16' },
        { name: 'b', prefix: '10.87.0.0/16' },
      ])
      const path = { peerSiteId: sites.b!.siteId, localSlot: 0, remoteSlot: 0 }
      const batch = (n: number) => ({
        events: Array.from({ length: n }, () => ({ type: 'path.down', at: Date.now(), path })),
      })
      const over = await sites.a!.agent.request('POST', '/v1/agent/events', batch(101))
      expectProblem(over, 422, 'validation-failed')
      expect(over.body.errors[0].path).toBe('events')
      expect((await viewer.get('/v1/events?type=path.down')).body.items).toEqual([])
      const full = await sites.a!.agent.request('POST', '/v1/agent/events', batch(100))
      expect(full.status, JSON.stringify(full.body)).toBe(201)
      expect(full.body.ids).toHaveLength(100)
    })
  })
}
