/**
 * One trace from agent to control plane: the real ControlClient, its fetch wrapped by
 * agent/observability's tracedFetch, syncs against a real Node control plane; each side
 * exports to its own in-memory exporter. The agent's sync span parents its HTTP client
 * span, whose traceparent makes the control plane's server span its child, under which
 * the config build and the database queries nest.
 */
// The app first: @hono/zod-openapi must extend zod before protocol/ builds its schemas.
import '../../worker/app'
import type { Tracer } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../agent/clock'
import { createControlClient } from '../../agent/control/client'
import type { FetchLike } from '../../agent/control/transport'
import { tracedFetch, withSpan } from '../../agent/observability'
import type { AgentSigner } from '../../protocol/signing'
import { enrollAgent } from '../api/agent-client'
import { newOrg } from '../api/harness'
import { siteWithToken } from '../api/suite-agents'
import { startTestServer, type TestServer } from './server'

const controlSpans = new InMemorySpanExporter()
const agentSpans = new InMemorySpanExporter()
const controlProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(controlSpans)],
})
const agentProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(agentSpans)],
})
const agentTracer: Tracer = agentProvider.getTracer('patronus-agent')

let cp: TestServer
let signer: AgentSigner
beforeAll(async () => {
  cp = await startTestServer({ tracerProvider: controlProvider })
  const { operator } = await newOrg(cp.target)
  const { token } = await siteWithToken(operator, { name: 'branch', prefixes: ['10.9.0.0/24'] })
  const enrolled = await enrollAgent(cp.target, token)
  expect(enrolled.status).toBe(201)
  const key = enrolled.agent.keys.identity.privateKey
  signer = {
    keyId: enrolled.agent.agentId,
    sign: async (data) =>
      new Uint8Array(
        await crypto.subtle.sign({ name: 'Ed25519' }, key, data as Uint8Array<ArrayBuffer>),
      ),
  }
})
afterAll(() => cp?.close())

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId
const idOf = (s: ReadableSpan) => s.spanContext().spanId

function client(fetchFn: FetchLike) {
  return createControlClient({
    serverUrl: cp.server.url,
    // The test server listens on plain HTTP (loopback).
    allowInsecureHttp: true,
    signer,
    clock: systemClock,
    fetch: fetchFn,
  })
}

describe('tracing across agent and control plane', () => {
  it('an agent sync is one trace with the control plane span as child', async () => {
    controlSpans.reset()
    agentSpans.reset()
    const control = client(tracedFetch(fetch, { tracer: agentTracer }))
    const result = await withSpan('agent.sync', () => control.getConfig(), { tracer: agentTracer })
    expect(result.status).toBe('changed')

    const agent = agentSpans.getFinishedSpans()
    const sync = agent.find((s) => s.name === 'agent.sync')!
    const request = agent.find((s) => s.name === 'GET /v1/agent/config')!
    expect(sync).toBeDefined()
    expect(request).toBeDefined()
    expect(parentOf(request)).toBe(idOf(sync))
    expect(request.attributes['http.response.status_code']).toBe(200)

    const traceId = sync.spanContext().traceId
    const server = controlSpans
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId === traceId)
    const handled = server.find((s) => s.name === 'GET /v1/agent/config')!
    expect(handled, server.map((s) => s.name).join(', ')).toBeDefined()
    expect(parentOf(handled)).toBe(idOf(request))
    expect(handled.attributes['http.route']).toBe('/v1/agent/config')
    expect(handled.attributes['http.response.status_code']).toBe(200)

    const build = server.find((s) => s.name === 'config.build')!
    expect(parentOf(build)).toBe(idOf(handled))
    const queries = server.filter((s) => s.name.startsWith('db '))
    expect(queries.length).toBeGreaterThan(0)
    // Signature check, nonce, revision read, the build's own reads: all inside the request.
    const inTrace = new Set(server.map(idOf))
    for (const q of queries) expect(inTrace.has(parentOf(q)!)).toBe(true)
    expect(queries.some((q) => parentOf(q) === idOf(build))).toBe(true)
    expect(String(queries[0]!.attributes['db.query.text'])).toMatch(/\w/)
  })

  it('heartbeats and telemetry carry traceparent too', async () => {
    controlSpans.reset()
    agentSpans.reset()
    const control = client(tracedFetch(fetch, { tracer: agentTracer }))
    await withSpan(
      'agent.report',
      async () => {
        await control.heartbeat({ agentVersion: '0.1.0', uptimeSeconds: 3, uplinks: [] })
        await control.postTelemetry({ samples: [], activePaths: [] })
      },
      { tracer: agentTracer },
    )
    const agent = agentSpans.getFinishedSpans()
    const server = controlSpans.getFinishedSpans()
    for (const path of ['/v1/agent/heartbeat', '/v1/agent/telemetry']) {
      const sent = agent.find((s) => s.name === `POST ${path}`)!
      const handled = server.find((s) => s.name === `POST ${path}`)!
      expect(handled, path).toBeDefined()
      expect(handled.spanContext().traceId).toBe(sent.spanContext().traceId)
      expect(parentOf(handled)).toBe(idOf(sent))
    }
  })

  it('without a provider the agent adds no header and opens no span', async () => {
    const seen: Headers[] = []
    const wrapped = tracedFetch(async (_url, init) => {
      seen.push(new Headers(init.headers))
      return new Response(null, { status: 204 })
    })
    await withSpan('agent.sync', () => wrapped('http://cp.test/v1/agent/heartbeat', {}))
    expect(seen[0]?.has('traceparent')).toBe(false)
  })
})
