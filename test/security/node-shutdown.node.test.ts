/**
 * Finding 10 (docs/security.md): SIGTERM on the real Node server (`tsx worker/node.ts`, as
 * `npm start` runs it). Long-polls used to hold the drain open until its 10 s deadline;
 * now they are woken with a 304 (the agent polls again, elsewhere or after the restart)
 * and an idle server exits at once. One second is the bound finding 10 sets for exit.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_LONG_POLL_SECONDS } from '../../protocol/agent'
import type { ApiTarget } from '../api/harness'
import { newOrg } from '../api/harness'
import { enrolledSites } from '../api/suite-agents'
import { longPollInFlight } from './long-poll'

const EXIT_DEADLINE_MS = 1000
const START_DEADLINE_MS = 20_000
const ADMIN_TOKEN = 'shutdown-test-admin-token-0123456789'

const dir = mkdtempSync(join(tmpdir(), 'patronus-shutdown-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

async function startServer(name: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/node.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `file:${join(dir, `${name}.db`)}`,
      PATRONUS_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" within ${START_DEADLINE_MS} ms:\n${output}`)),
      START_DEADLINE_MS,
    )
    const onData = (data: Buffer) => {
      output += String(data)
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${output}`)))
  })
  const url = await listening
  const target: ApiTarget = {
    adminToken: ADMIN_TOKEN,
    fetch: (path, init) => fetch(`${url}${path}`, init),
  }
  return { child, target, output: () => output }
}

/** SIGTERM, then the exit code and how long the process took to exit. */
function terminate(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const sent = performance.now()
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, ms: performance.now() - sent })),
  )
  child.kill('SIGTERM')
  return exited
}

describe('security: node shutdown', () => {
  it('finding 10: SIGTERM wakes an in-flight long-poll with 304 and exits 0 within 1 s', async () => {
    const server = await startServer('busy')
    const { operator } = await newOrg(server.target)
    const sites = await enrolledSites(operator, server.target, [
      { name: 'a', prefix: '10.91.0.0/16' },
    ])
    const agent = sites.a!.agent
    const first = await agent.config()
    expect(first.status).toBe(200)
    const poll = await longPollInFlight(agent, `"${first.body.revision}"`, MAX_LONG_POLL_SECONDS)

    const exit = await terminate(server.child)
    expect(exit.code, server.output()).toBe(0)
    expect(exit.ms, `exited ${Math.round(exit.ms)} ms after SIGTERM`).toBeLessThan(EXIT_DEADLINE_MS)
    const answer = await poll.answer
    expect(answer.status).toBe(304)
    expect(answer.headers.get('etag')).toBe(`"${first.body.revision}"`)
  })

  it('finding 10: an idle server exits 0 within 1 s of SIGTERM', async () => {
    const server = await startServer('idle')
    // A keep-alive connection from an earlier request must not hold the exit either.
    expect((await server.target.fetch('/healthz')).status).toBe(200)
    const exit = await terminate(server.child)
    expect(exit.code, server.output()).toBe(0)
    expect(exit.ms, `exited ${Math.round(exit.ms)} ms after SIGTERM`).toBeLessThan(EXIT_DEADLINE_MS)
  })
})
