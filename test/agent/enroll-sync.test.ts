/**
 * The agent CLI against the real control plane: the Node server in-process over an
 * embedded database, the agent as a real process (bin/patronus-agent.js). Covers enroll,
 * sync --once --json, status --json, a refused (used-up) token, and the daemon picking
 * up a change through the long-poll, then stopping on SIGTERM, then exiting 3 once the
 * agent is revoked. Loopback only; every wait has a deadline; temp dirs and child
 * processes are removed on every exit path.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadNodeConfig } from '../../worker/config'
import { silentLogger } from '../../worker/logger'
import { type RunningServer, startNodeServer } from '../../worker/server'

const run = promisify(execFile)
const BIN = join(process.cwd(), 'agent', 'bin', 'patronus-agent.js')
const ADMIN = 'agent-integration-admin-token-0123456789'

let dir: string
let server: RunningServer
const children: ChildProcess[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patronus-agent-it-'))
  server = await startNodeServer(
    loadNodeConfig({
      PORT: '0',
      DATABASE_URL: `file:${join(dir, 'db')}`,
      PATRONUS_BOOTSTRAP_TOKEN: ADMIN,
    }),
    silentLogger,
  )
})

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await server?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  }
}

/** Runs the agent CLI as a real process; never throws on a non-zero exit. */
async function agent(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 30_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

async function newSite(name: string, prefix: string) {
  const site = await api('POST', '/v1/sites', { name, prefixes: [prefix] })
  expect(site.status, JSON.stringify(site.body)).toBe(201)
  const token = await api('POST', `/v1/sites/${site.body.id}/enrollment-tokens`, {
    expiresInSeconds: 600,
  })
  expect(token.status, JSON.stringify(token.body)).toBe(201)
  return { siteId: site.body.id as string, token: token.body.token as string }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await probe()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('patronus-agent against the real control plane', () => {
  it('enrolls, syncs once, reports status, and a used token is refused', async () => {
    const { siteId, token } = await newSite('edge-a', '10.20.0.0/16')
    const stateDir = join(dir, 'a')
    const enrolled = await agent(
      'enroll',
      '--server',
      server.url,
      '--token',
      token,
      '--state-dir',
      stateDir,
      '--uplink',
      'fiber=eth0,endpoint=127.0.0.1:51820',
      // The in-process server is plain HTTP on loopback; enroll records the choice.
      '--insecure-http',
    )
    expect(enrolled.stderr).toBe('')
    expect(enrolled.code).toBe(0)
    const record = JSON.parse(await readFile(join(stateDir, 'agent.json'), 'utf8'))
    expect(record.siteId).toBe(siteId)
    expect(record.agentId).toMatch(/^agt_/)

    const synced = await agent('sync', '--once', '--json', '--state-dir', stateDir)
    expect(synced.stderr).toBe('')
    expect(synced.code).toBe(0)
    const state = JSON.parse(synced.stdout)
    expect(state.revision).toEqual(expect.any(Number))
    expect(state.agent.id).toBe(record.agentId)
    expect(state.site.id).toBe(siteId)
    expect(state.heartbeatIntervalSeconds).toBeGreaterThan(0)

    const status = await agent('status', '--json', '--state-dir', stateDir)
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({
      agentId: record.agentId,
      siteId,
      server: server.url,
      revision: state.revision,
      lastSyncAt: expect.any(String),
    })

    const reused = await agent(
      'enroll',
      '--server',
      server.url,
      '--token',
      token,
      '--state-dir',
      join(dir, 'a2'),
      '--insecure-http',
    )
    expect(reused.code).toBe(1)
    expect(reused.stderr).toMatch(/^patronus-agent: enrollment refused: .+\(HTTP 401\)\n$/)
    expect(reused.stderr).not.toContain(token)
  })

  it('runs: picks up a change by long-poll, stops on SIGTERM, exits 3 once revoked', async () => {
    const { siteId, token } = await newSite('edge-b', '10.30.0.0/16')
    const stateDir = join(dir, 'b')
    expect(
      (
        await agent(
          'enroll',
          '--server',
          server.url,
          '--token',
          token,
          '--state-dir',
          stateDir,
          '--insecure-http',
        )
      ).code,
    ).toBe(0)
    const agentId = JSON.parse(await readFile(join(stateDir, 'agent.json'), 'utf8')).agentId

    const daemon = spawn(process.execPath, [BIN, 'run', '--dry-run', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(daemon)
    let logs = ''
    daemon.stderr?.on('data', (d) => {
      logs += String(d)
    })
    const readCache = async () =>
      JSON.parse(await readFile(join(stateDir, 'desired-state.json'), 'utf8').catch(() => 'null'))
    const first = await until(
      'the first desired state',
      async () => (await readCache()) ?? undefined,
    )

    const site = await api('GET', `/v1/sites/${siteId}`)
    const patched = await api(
      'PATCH',
      `/v1/sites/${siteId}`,
      { prefixes: ['10.31.0.0/16'] },
      { 'if-match': site.headers.get('etag') ?? '' },
    )
    expect(patched.status, JSON.stringify(patched.body)).toBe(200)
    const second = await until('the changed desired state', async () => {
      const cached = await readCache()
      return cached && cached.revision > first.revision ? cached : undefined
    })
    expect(second.site.prefixes).toEqual(['10.31.0.0/16'])
    expect(logs).toContain('applied new desired state')

    daemon.kill('SIGTERM')
    expect(await exitOf(daemon)).toBe(0)

    const again = spawn(process.execPath, [BIN, 'run', '--dry-run', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(again)
    let errors = ''
    again.stderr?.on('data', (d) => {
      errors += String(d)
    })
    await until('the restarted daemon to apply its cache', async () =>
      errors.includes('applied cached desired state') ? true : undefined,
    )
    // The content type works around the server's JSON guard seeing an empty DELETE body
    // from @hono/node-server as a body (reported to the control-plane engineer).
    const revoked = await api('DELETE', `/v1/agents/${agentId}`, undefined, {
      'content-type': 'application/json',
    })
    expect(revoked.status, JSON.stringify(revoked.body)).toBeLessThan(300)
    // The revocation is seen at the next request: a heartbeat or the long-poll's end.
    const code = await Promise.race([
      exitOf(again),
      new Promise<string>((r) => setTimeout(() => r('still running'), 70_000)),
    ])
    expect(code).toBe(3)
    expect(errors).toContain('patronus-agent: agent revoked by the control plane; stopping sync')
  }, 120_000)
})
