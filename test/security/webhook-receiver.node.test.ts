/**
 * Actor: a webhook receiver (docs/security.md, finding 4). The real control plane on Node sends to
 * real HTTP servers on 127.0.0.1. A hostile receiver may answer `503 Retry-After: 0` to
 * every request, or hold every request open until the sender gives up; neither may make
 * the control plane hammer it nor hold back another org's deliveries. Every bound below
 * is derived from the timers injected into the dispatcher (retry base, attempt timeout).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadNodeConfig } from '../../worker/config'
import { silentLogger } from '../../worker/logger'
import { type RunningServer, startNodeServer } from '../../worker/server'
import { type ApiTarget, type Client, newOrg } from '../api/harness'

const ADMIN = 'webhook-receiver-admin-token-0123456789'
/** The dispatcher's poll: due retries are looked for this often. */
const POLL_MS = 50

/** A receiver on loopback that records arrival times and answers with `handle`. */
class TestReceiver {
  readonly arrivals: number[] = []
  /** Requests received and not yet answered or dropped by the sender. */
  open = 0
  maxOpen = 0
  private server: Server | undefined
  url = ''

  constructor(private readonly handle: (res: ServerResponse, req: IncomingMessage) => void) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.arrivals.push(performance.now())
      this.open += 1
      this.maxOpen = Math.max(this.maxOpen, this.open)
      res.on('close', () => {
        this.open -= 1
      })
      req.resume()
      req.on('end', () => this.handle(res, req))
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`
    return this
  }

  async until(check: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = performance.now() + ms
    while (!check()) {
      if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve()
      this.server.closeAllConnections()
      this.server.close(() => resolve())
    })
  }
}

let dir: string | undefined
let server: RunningServer | undefined
const receivers: TestReceiver[] = []

async function start(webhooks: { retryBaseMs: number; timeoutMs: number }): Promise<ApiTarget> {
  dir = mkdtempSync(join(tmpdir(), 'patronus-receiver-'))
  const config = loadNodeConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${join(dir, 'cp.db')}`,
    PATRONUS_BOOTSTRAP_TOKEN: ADMIN,
    // The receivers listen on loopback.
    PATRONUS_WEBHOOK_ALLOW_PRIVATE: '1',
  })
  const running = await startNodeServer(config, silentLogger, undefined, {
    webhooks: { pollMs: POLL_MS, evaluateMs: 3_600_000, ...webhooks },
  })
  server = running
  return { adminToken: ADMIN, fetch: (path, init) => fetch(`${running.url}${path}`, init) }
}

async function receiver(handle: (res: ServerResponse) => void) {
  const r = await new TestReceiver(handle).start()
  receivers.push(r)
  return r
}

afterEach(async () => {
  // Receivers first: a hanging one lets the dispatcher's attempts end, so close() is quick.
  for (const r of receivers.splice(0)) await r.close()
  await server?.close()
  server = undefined
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function hook(operator: Client, url: string) {
  const res = await operator.post('/v1/webhooks', { url, events: ['path.down'] })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
}

async function raise(operator: Client) {
  const res = await operator.post('/v1/events', { type: 'path.down', details: { note: 'x' } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
}

describe('security: webhook receiver', () => {
  it('finding 4: Retry-After: 0 on every answer cannot make a storm', async () => {
    const base = 250
    const api = await start({ retryBaseMs: base, timeoutMs: 10_000 })
    const hostile = await receiver((res) => {
      res.writeHead(503, { 'retry-after': '0' })
      res.end()
    })
    const { operator } = await newOrg(api)
    await hook(operator, hostile.url)
    for (let i = 0; i < 20; i++) await raise(operator)

    // Watch a window of 8 retry bases from the first request.
    const window = 8 * base
    await hostile.until(() => hostile.arrivals.length > 0, 20 * POLL_MS, 'first attempt')
    const first = hostile.arrivals[0]!
    await new Promise((r) => setTimeout(r, window))
    const seen = hostile.arrivals.filter((t) => t - first < window)
    // One endpoint, one attempt at a time, then held for the clamped Retry-After (the
    // base): at most one request per base in the window, plus the first.
    expect(seen.length).toBeLessThanOrEqual(window / base + 1)
    const gaps = seen.slice(1).map((t, i) => t - seen[i]!)
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(base)
    console.info(
      `finding 4 storm: ${seen.length} requests in ${window} ms (20 deliveries, ` +
        `Retry-After: 0, base ${base} ms); gaps ${gaps.map((g) => Math.round(g)).join(', ')} ms`,
    )
  })

  it("finding 4: a receiver that hangs for the whole timeout does not delay another org's delivery", async () => {
    const timeoutMs = 2_000
    // Long retries: the test watches first attempts only.
    const api = await start({ retryBaseMs: 60_000, timeoutMs })
    const hanging = await receiver(() => {}) // never answers; the sender gives up
    let hangingWhenBArrived = -1
    const healthy = await receiver((res) => {
      hangingWhenBArrived = hanging.open
      res.writeHead(204)
      res.end()
    })
    const a = await newOrg(api)
    const b = await newOrg(api)
    // Org A: six endpoints on the hanging receiver, two messages each (12 deliveries).
    for (let i = 0; i < 6; i++) await hook(a.operator, hanging.url)
    await hook(b.operator, healthy.url)
    await raise(a.operator)
    await raise(a.operator)
    // Wait until A's attempts hold the dispatcher (four of them hanging at once).
    await hanging.until(() => hanging.open >= 4, timeoutMs / 2, 'A hanging')
    const hangStarted = hanging.arrivals[0]!

    const raisedAt = performance.now()
    await raise(b.operator)
    await healthy.until(() => healthy.arrivals.length > 0, 4 * timeoutMs, 'B delivered')
    const latency = healthy.arrivals[0]! - raisedAt
    console.info(
      `finding 4 fairness: B delivered ${Math.round(latency)} ms after its event while A ` +
        `hangs (timeout ${timeoutMs} ms, A at most ${hanging.maxOpen} open at once)`,
    )
    // B's delivery goes out while A's first attempts still hang, not after them.
    expect(latency).toBeLessThan(timeoutMs)
    expect(healthy.arrivals[0]! - hangStarted).toBeLessThan(timeoutMs)
    expect(hangingWhenBArrived).toBeGreaterThan(0)
    // Org A never holds more than its share of the pool (4), one per endpoint.
    expect(hanging.maxOpen).toBeLessThanOrEqual(4)
  })
})
