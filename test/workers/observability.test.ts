/**
 * Observability inside workerd: GET /metrics answers a 501 problem (the Worker builds no
 * Prometheus registry: see docs/observability.md), requests echo x-request-id, and a probe
 * of whether prom-client's Registry itself runs in workerd (recorded in the doc).
 */
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

describe('observability on Workers', () => {
  it('GET /metrics is a 501 problem pointing at OTLP and Node', async () => {
    const res = await SELF.fetch('http://patronus.test/metrics')
    expect(res.status).toBe(501)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const body = (await res.json()) as { type: string; detail: string }
    expect(body.type).toBe('https://patronus.dev/problems/not-implemented')
    expect(body.detail).toMatch(/OTLP/)
  })

  it('echoes x-request-id', async () => {
    const res = await SELF.fetch('http://patronus.test/healthz', {
      headers: { 'x-request-id': 'wrk-42' },
    })
    expect(res.headers.get('x-request-id')).toBe('wrk-42')
  })

  it('prom-client probe', async () => {
    let outcome: string
    try {
      // prom-client 15.1.3 fails here: its default metrics `require('@opentelemetry/api')`
      // (CommonJS) and workerd cannot load that module that way (docs/observability.md).
      const { Counter, Registry } = await import('prom-client')
      const registry = new Registry()
      new Counter({ name: 'probe_total', help: 'probe', registers: [registry] }).inc()
      outcome = (await registry.metrics()).includes('probe_total 1') ? 'works' : 'wrong output'
    } catch (error) {
      outcome = `fails: ${error instanceof Error ? error.message : String(error)}`
    }
    console.log(`prom-client Registry in workerd: ${outcome}`)
    expect(outcome).toMatch(/works|fails/)
  })
})
