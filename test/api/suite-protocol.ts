/**
 * Protocol versions: the control plane serves the agents of its version and of the one
 * before (v1: agents that send no Patronus-Protocol header), answering each in its own
 * version, and refuses others with a problem naming the versions it serves.
 */
import { describe, expect, it } from 'vitest'
import { desiredStateSchema } from '../../protocol/agent'
import { MAX_EVENTS_PER_BATCH } from '../../protocol/batch-limits'
import {
  agentEventBatchSchemaV1,
  desiredStateSchemaV1,
  enrollResponseSchemaV1,
  MAX_EVENTS_PER_BATCH_V1,
} from '../../protocol/testing/wire-v1'
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version'
import { enrollAgent } from './agent-client'
import { type ApiTarget, type Client, expectProblem, newOrg } from './harness'
import { siteWithToken } from './suite-agents'

/** A policy using everything v2 added to actions (a v1 agent's strict schema refuses each). */
const V2_ACTION = {
  preference: 'load-balance',
  sla: { maxLatencyMs: 150 },
  predictive: true,
  balance: 'per-packet',
  qos: { rateMbps: 5, ceilMbps: 20, priority: 1 },
}

async function twoSites(target: ApiTarget, operator: Client, protocolOfA: number | null) {
  const a = await siteWithToken(operator, { name: 'a', role: 'mesh', prefixes: ['10.71.0.0/16'] })
  const b = await siteWithToken(operator, { name: 'b', role: 'mesh', prefixes: ['10.72.0.0/16'] })
  const enrolledA = await enrollAgent(
    target,
    a.token,
    [{ name: 'wan1', interface: 'eth1', endpoint: '198.18.71.1:51820' }],
    protocolOfA,
  )
  const enrolledB = await enrollAgent(target, b.token, [{ name: 'wan1', interface: 'eth1' }])
  expect(enrolledA.status, JSON.stringify(enrolledA.body)).toBe(201)
  expect(enrolledB.status, JSON.stringify(enrolledB.body)).toBe(201)
  return { a: enrolledA, b: enrolledB, siteB: b.site.id as string }
}

export function protocolSuite(target: () => ApiTarget) {
  describe('protocol versions', () => {
    for (const [label, protocol] of [
      ['without the header', null],
      ['with header 1', 1],
    ] as const) {
      it(`a v1 agent (${label}) enrolls, syncs a v1 document and posts heartbeat, telemetry and events`, async () => {
        const { operator, viewer } = await newOrg(target())
        await operator.post('/v1/policies', {
          name: 'v2',
          priority: 1,
          match: {},
          action: V2_ACTION,
        })
        const { a, siteB } = await twoSites(target(), operator, protocol)
        expect(enrollResponseSchemaV1.parse(a.body).protocolVersion).toBe(1)

        const config = await a.agent.config()
        expect(config.status, JSON.stringify(config.body)).toBe(200)
        // What the v1 agent's own schema makes of it: accepted, nothing of v2 left.
        const parsed = desiredStateSchemaV1.safeParse(config.body)
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true)
        expect(config.body.protocolVersion).toBe(1)
        expect(config.body).not.toHaveProperty('model')
        expect(config.body.policies[0].action).toEqual({
          preference: 'load-balance',
          sla: { maxLatencyMs: 150 },
        })
        const again = await a.agent.config({ etag: `"${config.body.revision}"` })
        expect(again.status).toBe(304)

        const beat = { agentVersion: '0.1.0', uptimeSeconds: 5, uplinks: [] }
        expect((await a.agent.request('POST', '/v1/agent/heartbeat', beat)).status).toBe(204)
        const path = { peerSiteId: siteB, localSlot: 0, remoteSlot: 0 }
        const sample = { at: Date.now(), path, state: 'up', rttMs: 9, jitterMs: 1, lossPct: 0 }
        const telemetry = { samples: [{ ...sample, mos: 4.3 }], activePaths: [] }
        expect((await a.agent.request('POST', '/v1/agent/telemetry', telemetry)).status).toBe(204)
        // v1 agents post up to 500 events at once; the control plane takes them all.
        const events = agentEventBatchSchemaV1.parse({
          events: Array.from({ length: MAX_EVENTS_PER_BATCH_V1 }, (_, i) => ({
            type: i % 2 ? 'path.up' : 'path.down',
            at: Date.now(),
            path,
          })),
        })
        const posted = await a.agent.request('POST', '/v1/agent/events', events)
        expect(posted.status, JSON.stringify(posted.body)).toBe(201)
        expect(new Set(posted.body.ids).size).toBe(MAX_EVENTS_PER_BATCH_V1)
        const listed = await viewer.get(
          `/v1/events?type=path.down&siteId=${a.body.siteId}&limit=500`,
        )
        expect(listed.body.items).toHaveLength(MAX_EVENTS_PER_BATCH_V1 / 2)
      })
    }

    it('a v2 agent gets the v2 document (a v1 agent would refuse it) and 100 events at most', async () => {
      const { operator } = await newOrg(target())
      await operator.post('/v1/policies', { name: 'v2', priority: 1, match: {}, action: V2_ACTION })
      const { a, siteB } = await twoSites(target(), operator, PROTOCOL_VERSION)
      expect(a.body.protocolVersion).toBe(PROTOCOL_VERSION)
      const config = await a.agent.config()
      expect(desiredStateSchema.parse(config.body).policies[0]?.action).toEqual(V2_ACTION)
      expect(config.body.protocolVersion).toBe(PROTOCOL_VERSION)
      // Why a v1 agent is served the v1 document: its strict action schema refuses this one.
      expect(desiredStateSchemaV1.safeParse(config.body).success).toBe(false)

      const path = { peerSiteId: siteB, localSlot: 0, remoteSlot: 0 }
      const batch = (n: number) => ({
        events: Array.from({ length: n }, () => ({ type: 'path.down', at: Date.now(), path })),
      })
      const over = await a.agent.request(
        'POST',
        '/v1/agent/events',
        batch(MAX_EVENTS_PER_BATCH + 1),
      )
      expectProblem(over, 422, 'validation-failed')
      expect(over.body.errors[0].path).toBe('events')
    })

    it('an agent upgraded in place gets the document of the version it now speaks', async () => {
      const { operator } = await newOrg(target())
      await operator.post('/v1/policies', { name: 'v2', priority: 1, match: {}, action: V2_ACTION })
      const { a } = await twoSites(target(), operator, null)
      const v1 = await a.agent.config()
      a.agent.protocol = PROTOCOL_VERSION
      const v2 = await a.agent.config()
      expect(v2.body.revision).toBe(v1.body.revision)
      expect([v1.body.protocolVersion, v2.body.protocolVersion]).toEqual([1, PROTOCOL_VERSION])
      expect(v2.body.policies[0].action).toEqual(V2_ACTION)
      a.agent.protocol = null
      expect((await a.agent.config()).body.policies[0].action).not.toHaveProperty('qos')
    })

    it('refuses versions it does not serve with protocol-version-unsupported', async () => {
      const { operator } = await newOrg(target())
      const { a } = await twoSites(target(), operator, PROTOCOL_VERSION)
      const { token } = await siteWithToken(operator, { name: 'c', prefixes: ['10.73.0.0/16'] })
      for (const version of [0, PROTOCOL_VERSION + 1, 99]) {
        const enrolled = await enrollAgent(target(), token, [], version)
        expectProblem(enrolled as never, 400, 'protocol-version-unsupported')
        expect(enrolled.body.supportedVersions).toEqual([PROTOCOL_VERSION - 1, PROTOCOL_VERSION])
        a.agent.protocol = version
        const config = await a.agent.config()
        expectProblem(config, 400, 'protocol-version-unsupported')
        expect(config.body.detail).toContain(
          version > PROTOCOL_VERSION ? 'upgrade the control plane' : 'upgrade the agent',
        )
      }
      a.agent.protocol = PROTOCOL_VERSION
      const garbled = await a.agent.config({ headers: { [PROTOCOL_HEADER]: 'two' } })
      expectProblem(garbled, 400, 'protocol-version-unsupported')
      // The token was not spent by the refused attempts.
      expect((await enrollAgent(target(), token)).status).toBe(201)
    })
  })
}
