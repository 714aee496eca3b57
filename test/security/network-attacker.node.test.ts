/**
 * Actor: a network attacker on the path between an agent and its control plane (or a
 * server impersonating it). It can read and rewrite plain HTTP and answer anything it
 * likes, so the agent must not talk plain HTTP unless told to, and must survive hostile
 * answers: bodies past the caps (declared or endless), trickled bodies, redirects. Here
 * the attacker is a real HTTP server on 127.0.0.1 and the agent uses the real fetch, so
 * these checks cover undici's behaviour, not a fake's (docs/security.md, finding 12).
 */

import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { runCli } from '../../agent/cli/cli'
import { systemClock } from '../../agent/clock'
import { FakeClock } from '../../agent/clock/fake'
import {
  ControlPlaneProblemError,
  ControlPlaneUnreachableError,
  createControlClient,
  createModelFetcher,
  MAX_DESIRED_STATE_BYTES,
  MAX_MODEL_DOCUMENT_BYTES,
  ResponseTooLargeError,
} from '../../agent/control'
import { Daemon } from '../../agent/daemon'
import { RecordingPipeline } from '../../agent/pipeline'
import { desiredState } from '../../agent/testing/fixtures'
import { captureLogger, MemoryStore, testSigner } from '../../agent/testing/harness'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

interface Attacker {
  url: string
  server: Server
  seen: string[]
  handle: Handler
}

async function listen(): Promise<Attacker> {
  const attacker = { seen: [] as string[], handle: (() => {}) as Handler } as Attacker
  attacker.server = createServer((req, res) => {
    attacker.seen.push(`${req.method} ${req.url}`)
    attacker.handle(req, res)
  })
  await new Promise<void>((resolve) => attacker.server.listen(0, '127.0.0.1', resolve))
  attacker.url = `http://127.0.0.1:${(attacker.server.address() as AddressInfo).port}`
  return attacker
}

/** Writes spaces (valid JSON whitespace) until the client goes away, or 256 MiB. */
function flood(res: ServerResponse, headers: Record<string, string> = {}) {
  const stats = { written: 0, closed: undefined as Promise<void> | undefined }
  let done = false
  stats.closed = new Promise<void>((resolve) =>
    res.once('close', () => {
      done = true
      resolve()
    }),
  )
  res.writeHead(200, { 'content-type': 'application/json', ...headers })
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  const pump = () => {
    while (!done) {
      // A bound, so a client that buffers everything ends (and fails the test) in finite time.
      if (stats.written >= 256 * 1024 * 1024) return void res.end()
      stats.written += chunk.length
      if (!res.write(chunk)) return void res.once('drain', pump)
    }
  }
  pump()
  return stats
}

const { signer } = testSigner()
let attacker: Attacker
let other: Attacker
let root: string

beforeAll(async () => {
  attacker = await listen()
  other = await listen()
  root = await mkdtemp(join(tmpdir(), 'patronus-netattack-'))
})
afterEach(() => {
  attacker.seen.length = 0
  other.seen.length = 0
})
afterAll(async () => {
  attacker.server.closeAllConnections()
  other.server.closeAllConnections()
  await new Promise((r) => attacker.server.close(r))
  await new Promise((r) => other.server.close(r))
  await rm(root, { recursive: true, force: true })
})

const realFetch = (input: string, init: RequestInit) => fetch(input, init)

function client(clock = new FakeClock()) {
  return createControlClient({
    serverUrl: attacker.url,
    allowInsecureHttp: true,
    signer,
    fetch: realFetch,
    clock,
  })
}

describe('security: network-attacker', () => {
  it('finding 12: the agent does not enroll over plain HTTP unless told (--insecure-http)', async () => {
    const token = `pet_${'a'.repeat(43)}`
    attacker.handle = (_req, res) => res.writeHead(401).end()
    const err: string[] = []
    const io = {
      stdout: () => {},
      stderr: (t: string) => void err.push(t),
      env: {},
      fetch: realFetch,
      clock: systemClock,
      hostname: () => 'edge-1',
      signal: new AbortController().signal,
    }
    const stateDir = join(root, 'enroll')
    const args = ['enroll', '--server', attacker.url, '--token', token, '--state-dir', stateDir]
    expect(await runCli(args, io)).toBe(2)
    expect(err.join('')).toContain('is plain HTTP')
    expect(err.join('')).toContain('--insecure-http')
    // The token never crossed the wire, and no keys were made.
    expect(attacker.seen).toEqual([])
    expect(await stat(stateDir).catch(() => undefined)).toBeUndefined()
    // Told explicitly, it does talk to the server (the lab case).
    expect(await runCli([...args, '--insecure-http'], io)).toBe(1)
    expect(attacker.seen).toEqual(['POST /v1/enroll'])
  })

  it('finding 12: an endless desired state is cut off past 8 MiB and the connection dropped', async () => {
    let stats: ReturnType<typeof flood> | undefined
    attacker.handle = (_req, res) => {
      stats = flood(res)
    }
    const error = await client()
      .getConfig()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResponseTooLargeError)
    expect((error as Error).message).toContain(`over ${MAX_DESIRED_STATE_BYTES} bytes`)
    await stats?.closed
    // The cap plus what socket buffers held: never the 256 MiB the attacker had to send.
    expect(stats?.written).toBeGreaterThan(MAX_DESIRED_STATE_BYTES)
    expect(stats?.written).toBeLessThan(MAX_DESIRED_STATE_BYTES + 32 * 1024 * 1024)
  })

  it('finding 12: a declared oversize (desired state, model) is refused before its body', async () => {
    let stats: ReturnType<typeof flood> | undefined
    attacker.handle = (_req, res) => {
      stats = flood(res, { 'content-length': String(1024 * 1024 * 1024) })
    }
    await expect(client().getConfig()).rejects.toThrow(ResponseTooLargeError)
    await stats?.closed
    const fetchModel = createModelFetcher({
      serverUrl: attacker.url,
      allowInsecureHttp: true,
      signer,
      fetch: realFetch,
      clock: new FakeClock(),
    })
    await expect(fetchModel('pathfail-v1')).rejects.toThrow(
      `fetch model pathfail-v1: the answer is over ${MAX_MODEL_DOCUMENT_BYTES} bytes`,
    )
    await stats?.closed
    expect(stats?.written).toBeLessThan(1024 * 1024 * 1024)
  })

  it('finding 12: a trickled body cannot hold the agent past its timeout', async () => {
    attacker.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"revision":')
    }
    const clock = new FakeClock()
    const pending = createControlClient({
      serverUrl: attacker.url,
      allowInsecureHttp: true,
      signer,
      fetch: realFetch,
      clock,
      requestTimeoutMs: 5_000,
    })
      .getConfig()
      .catch((e: unknown) => e)
    await vi.waitFor(() => expect(attacker.seen).toHaveLength(1), { timeout: 5_000 })
    // Let the headers arrive so the read is under way, then pass the deadline.
    await new Promise((r) => setTimeout(r, 50))
    clock.advance(5_000)
    const error = await pending
    expect(error).toBeInstanceOf(ControlPlaneUnreachableError)
    expect((error as Error).message).toMatch(/answer not complete within 5 s$/)
  })

  it('finding 12: a redirect is not followed (nothing reaches its Location)', async () => {
    attacker.handle = (_req, res) => res.writeHead(307, { location: `${other.url}/steal` }).end()
    const error = await client()
      .getConfig()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ControlPlaneProblemError)
    expect((error as Error).message).toMatch(/HTTP 307/)
    expect(other.seen).toEqual([])
  })

  it('finding 12: fail-static: the daemon keeps its last config when the answer is oversized', async () => {
    attacker.handle = (req, res) => {
      if (req.url?.startsWith('/v1/agent/config')) flood(res)
      else res.writeHead(204).end()
    }
    const log = captureLogger()
    const pipeline = new RecordingPipeline(log.logger)
    const store = new MemoryStore(desiredState(3))
    const daemon = new Daemon({
      client: client(),
      pipeline,
      store,
      clock: new FakeClock(),
      logger: log.logger,
      agentVersion: '9.9.9',
      uplinkNames: ['fiber'],
    })
    const stop = new AbortController()
    const run = daemon.run(stop.signal)
    await vi.waitFor(
      () => expect(log.messages()).toContain('config sync failed; retrying with backoff'),
      { timeout: 10_000 },
    )
    const line = log.lines
      .map((l) => JSON.parse(l) as { msg: string; err?: string })
      .find((l) => l.msg === 'config sync failed; retrying with backoff')
    expect(line?.err).toContain(`over ${MAX_DESIRED_STATE_BYTES} bytes`)
    expect(pipeline.plans.map((p) => p.revision)).toEqual([3])
    expect(store.saves).toBe(0)
    stop.abort()
    expect(await run).toBe('stopped')
  })
})
