/**
 * The control plane's JSON log lines, as `npm start` writes them (pino with the trace
 * mixin), through an enrollment on a real Node server with tracing on: each request has
 * one line with its request id, route, status and trace ids, and no line carries a token
 * or key material - not the API tokens, not the enrollment token, not the agent's keys.
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { traceLogFields } from '../../worker/observability/logging'
import { enrollAgent } from '../api/agent-client'
import { newOrg } from '../api/harness'
import { siteWithToken } from '../api/suite-agents'
import { ADMIN_TOKEN, startTestServer, type TestServer } from './server'

const lines: string[] = []
const logger = pino(
  { level: 'info', base: { service: 'patronus-control' }, mixin: traceLogFields },
  { write: (line: string) => void lines.push(line) },
)
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
})

let cp: TestServer
beforeAll(async () => {
  cp = await startTestServer({ logger, tracerProvider: provider })
})
afterAll(() => cp?.close())

const toBase64 = (b: ArrayBuffer) => Buffer.from(b).toString('base64')

describe('logs of an enrollment', () => {
  it('carry request ids and trace ids, and never a secret', async () => {
    const { operator, admin } = await newOrg(cp.target)
    const { token } = await siteWithToken(operator, { name: 'logs', prefixes: ['10.7.0.0/24'] })
    const enrolled = await enrollAgent(cp.target, token)
    expect(enrolled.status).toBe(201)
    // A refused second use of the token, and a signed request, log too.
    expect((await enrollAgent(cp.target, token)).status).toBe(401)
    const beat = { agentVersion: '0.1.0', uptimeSeconds: 1 }
    expect((await enrolled.agent.request('POST', '/v1/agent/heartbeat', beat)).status).toBe(204)
    const config = await enrolled.agent.request('GET', '/v1/agent/config')
    expect(config.status).toBe(200)

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const requests = records.filter((r) => r.msg === 'request')
    const enrolls = requests.filter((r) => r.route === '/v1/enroll')
    expect(enrolls.map((r) => r.status)).toEqual([201, 401])
    for (const r of requests) {
      expect(r.level).toBe(30)
      expect(r.method).toMatch(/^[A-Z]+$/)
      expect(typeof r.request_id).toBe('string')
      expect(typeof r.duration_ms).toBe('number')
      expect(r.trace_id).toMatch(/^[0-9a-f]{32}$/)
      expect(r.span_id).toMatch(/^[0-9a-f]{16}$/)
      expect(r).not.toHaveProperty('headers')
    }

    const secrets: Record<string, string> = {
      'instance-admin token': ADMIN_TOKEN,
      'operator token': operator.token!,
      'admin token': admin.token!,
      'enrollment token': token,
      'identity private key (pkcs8)': toBase64(
        await crypto.subtle.exportKey('pkcs8', enrolled.agent.keys.identity.privateKey),
      ),
      'identity private key (jwk d)': String(
        (await crypto.subtle.exportKey('jwk', enrolled.agent.keys.identity.privateKey)).d,
      ),
    }
    const output = lines.join('')
    expect(output.length).toBeGreaterThan(0)
    for (const [what, secret] of Object.entries(secrets)) {
      expect(output.includes(secret), `${what} appears in the logs`).toBe(false)
    }
    expect(output).not.toMatch(/PRIVATE KEY|authorization|bearer|signature-input/i)
  })
})
