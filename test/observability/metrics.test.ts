/**
 * `GET /metrics` on a real Node control plane: Prometheus text that parses, carries every
 * documented series after some agent traffic, and is served to loopback callers or
 * bearers of PATRONUS_METRICS_TOKEN only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTROL_PLANE_METRIC_NAMES, METRIC } from '../../worker/observability/metric-names'
import { enrollAgent } from '../api/agent-client'
import { expectProblem, newOrg } from '../api/harness'
import { siteWithToken } from '../api/suite-agents'
import { parsePrometheusText } from './prometheus-text'
import { METRICS_TOKEN, startTestServer, type TestServer } from './server'

let cp: TestServer
beforeAll(async () => {
  cp = await startTestServer()
})
afterAll(() => cp?.close())

describe('GET /metrics', () => {
  it('serves Prometheus text with every documented series', async () => {
    const { operator } = await newOrg(cp.target)
    const { token } = await siteWithToken(operator, { name: 'hq', prefixes: ['10.1.0.0/24'] })
    const enrolled = await enrollAgent(cp.target, token)
    expect(enrolled.status).toBe(201)
    const beat = { agentVersion: '0.1.0', uptimeSeconds: 5 }
    expect((await enrolled.agent.request('POST', '/v1/agent/heartbeat', beat)).status).toBe(204)
    expect((await enrolled.agent.request('GET', '/v1/agent/config')).status).toBe(200)

    const res = await cp.target.fetch('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const { types, samples } = parsePrometheusText(await res.text())
    for (const name of CONTROL_PLANE_METRIC_NAMES) expect(types.has(name), name).toBe(true)
    expect(types.get(METRIC.httpRequests)).toBe('counter')
    expect(types.get(METRIC.httpDuration)).toBe('histogram')
    expect(types.get(METRIC.agentsOnline)).toBe('gauge')
    expect(types.get(METRIC.webhookOutboxDepth)).toBe('gauge')

    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value
    expect(
      value(METRIC.httpRequests, { method: 'GET', route: '/v1/agent/config', status: '200' }),
    ).toBe(1)
    expect(value(METRIC.httpRequests, { method: 'POST', route: '/v1/enroll', status: '201' })).toBe(
      1,
    )
    // Route patterns, never raw paths: the site id is not a label value.
    const routes = samples.filter((s) => s.name === METRIC.httpRequests).map((s) => s.labels.route)
    expect(routes).toContain('/v1/sites/:siteId/enrollment-tokens')
    expect(routes.every((r) => r && !/site_|[0-9a-f]{8}-/.test(r))).toBe(true)
    expect(
      value(`${METRIC.httpDuration}_count`, { method: 'GET', route: '/v1/agent/config' }),
    ).toBe(1)
    expect(value(METRIC.configRevisionsServed)).toBe(1)
    expect(value(METRIC.agentsOnline)).toBe(1)
    expect(value(METRIC.agentsEnrolled)).toBe(1)
    expect(value(METRIC.webhookOutboxDepth)).toBe(0)
    expect(value(METRIC.paths, { state: 'up' })).toBe(0)
  })

  it('answers remote callers only with the metrics token', async () => {
    // A forwarding header means a proxy relayed a remote caller: loopback no longer counts.
    const relayed = { 'x-forwarded-for': '203.0.113.9' }
    const refused = await cp.target.fetch('/metrics', { headers: relayed })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const wrong = await cp.target.fetch('/metrics', {
      headers: { ...relayed, authorization: 'Bearer not-the-token-0123456789' },
    })
    expect(wrong.status).toBe(401)
    const allowed = await cp.target.fetch('/metrics', {
      headers: { ...relayed, authorization: `Bearer ${METRICS_TOKEN}` },
    })
    expect(allowed.status).toBe(200)
    expect(await allowed.text()).toContain(METRIC.httpRequests)
  })

  it('echoes x-request-id, or makes one', async () => {
    const given = await cp.target.fetch('/healthz', { headers: { 'x-request-id': 'abc-123' } })
    expect(given.headers.get('x-request-id')).toBe('abc-123')
    const made = await cp.target.fetch('/healthz', {
      headers: { 'x-request-id': 'not a token; <script>' },
    })
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('is a problem without credentials from a non-loopback app.fetch', async () => {
    const res = await cp.target.fetch('/metrics', { headers: { forwarded: 'for=203.0.113.9' } })
    expectProblem(
      { status: res.status, headers: res.headers, body: await res.json() },
      401,
      'unauthenticated',
    )
  })
})
