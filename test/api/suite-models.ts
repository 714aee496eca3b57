/**
 * Failure-prediction models on the API: the desired state names the instance's prediction model,
 * agents fetch it (signed) from GET /v1/agent/models/{id}, and path.predicted_degradation events
 * are accepted and listed. The Node target serves the shipped model; the Workers target serves
 * none (desired state model null, 404 problem+json): `target.model` says which to expect.
 */
import { describe, expect, it } from 'vitest'
import { type ApiTarget, expectProblem, newOrg } from './harness'
import { enrolledSites } from './suite-agents'

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>),
  )
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
}

const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

export function modelsSuite(target: () => ApiTarget) {
  describe('prediction models', () => {
    it('the desired state names the model and the agent fetches it, signed', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      const agent = sites.a!.agent
      const config = await agent.config()
      expect(config.status).toBe(200)
      const expected = target().model ?? null
      expect(config.body.model).toEqual(expected)
      if (expected) {
        const res = await agent.request('GET', `/v1/agent/models/${expected.id}`)
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200)
        expect(res.body.id).toBe(expected.id)
        expect(res.body.manifest).toMatchObject({ id: expected.id, sha256: expected.sha256 })
        expect(await sha256Hex(fromBase64(res.body.onnx))).toBe(expected.sha256)
        const missing = await agent.request('GET', '/v1/agent/models/no-such-model')
        expectProblem(missing, 404, 'not-found')
        expect(missing.body.detail).toMatch(/model no-such-model does not exist/)
      } else {
        const res = await agent.request('GET', '/v1/agent/models/any-model')
        expectProblem(res, 404, 'not-found')
        expect(res.body.detail).toMatch(/does not serve prediction models/)
      }
      // The model is outside the revision: an agent that says it runs another model gets the
      // document although its revision is current; one running the served model gets 304.
      const etag = config.headers.get('etag') ?? ''
      const served = expected ? `"m-${expected.sha256.slice(0, 16)}"` : '"m-none"'
      expect((await agent.config({ etag: `${etag}, ${served}` })).status).toBe(304)
      const other = await agent.config({ etag: `${etag}, "m-0123456789abcdef"` })
      expect(other.status).toBe(200)
      expect(other.body.model).toEqual(expected)
      expect((await agent.config({ etag })).status).toBe(304)
      // Unsigned: refused like every agent call, and a malformed id is a validation error.
      const unsigned = await target().fetch('/v1/agent/models/any-model')
      expect(unsigned.status).toBe(401)
      expectProblem(
        await agent.request('GET', '/v1/agent/models/..%2Fetc'),
        422,
        'validation-failed',
      )
    })

    it('accepts and lists path.predicted_degradation events from agents', async () => {
      const { operator, viewer } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
      ])
      const path = { peerSiteId: sites.b!.siteId, localSlot: 0, remoteSlot: 1 }
      const posted = await sites.a!.agent.request('POST', '/v1/agent/events', {
        events: [
          {
            type: 'path.predicted_degradation',
            at: Date.now(),
            severity: 'warning',
            path,
            details: { probability: 0.93, threshold: 0.5, horizonS: 5, modelId: 'm', moved: ['v'] },
          },
        ],
      })
      expect(posted.status, JSON.stringify(posted.body)).toBe(201)
      const listed = await viewer.get('/v1/events?type=path.predicted_degradation')
      expect(listed.status).toBe(200)
      expect(listed.body.items).toHaveLength(1)
      expect(listed.body.items[0]).toMatchObject({
        type: 'path.predicted_degradation',
        siteId: sites.a!.siteId,
        source: 'agent',
        severity: 'warning',
        details: { path, probability: 0.93, moved: ['v'] },
      })
    })
  })
}
