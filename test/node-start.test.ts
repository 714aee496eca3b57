/**
 * `npm start` as a newcomer runs it: a real process on a fresh embedded database. It must
 * answer /healthz and serve OpenAPI 3.1 within 10 s, print a generated bootstrap token
 * exactly once (first start only), and exit 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'patronus-start-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

interface Started {
  child: ChildProcess
  url: string
  output: () => string
}

async function start(env: Record<string, string>, deadlineMs = 10_000): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/node.ts'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout?.on('data', (d) => {
    output += String(d)
  })
  child.stderr?.on('data', (d) => {
    output += String(d)
  })
  const began = Date.now()
  while (Date.now() - began < deadlineMs) {
    const match = /listening on (http:\/\/\S+)/.exec(output)
    if (match) return { child, url: match[1]!, output: () => output }
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`npm start did not listen within ${deadlineMs} ms:\n${output}`)
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('npm start (Node, embedded libSQL)', () => {
  const database = `file:${join(dir, 'patronus.db')}`

  it('starts within 10 s, serves /healthz and OpenAPI 3.1, prints the token once, drains on SIGTERM', async () => {
    const began = Date.now()
    const first = await start({ DATABASE_URL: database })
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
    const doc = (await (await fetch(`${first.url}/openapi.json`)).json()) as { openapi: string }
    expect(doc.openapi).toBe('3.1.0')
    expect(Date.now() - began).toBeLessThan(10_000)

    const token = /\n {2}(pat_\S+)\n/.exec(first.output())?.[1]
    expect(token, first.output()).toBeDefined()
    const sites = await fetch(`${first.url}/v1/sites`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(sites.status).toBe(200)

    first.child.kill('SIGTERM')
    expect(await exitCode(first.child)).toBe(0)

    // Second start on the same database: no new token, and the first one still works.
    const second = await start({ DATABASE_URL: database })
    expect(second.output()).not.toMatch(/pat_/)
    const again = await fetch(`${second.url}/v1/orgs`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(again.status).toBe(200)
    second.child.kill('SIGTERM')
    expect(await exitCode(second.child)).toBe(0)
  })

  it('uses PATRONUS_BOOTSTRAP_TOKEN on an empty database', async () => {
    const preset = 'preset-bootstrap-token-0123456789'
    const run = await start({
      DATABASE_URL: `file:${join(dir, 'preset.db')}`,
      PATRONUS_BOOTSTRAP_TOKEN: preset,
    })
    expect(run.output()).not.toMatch(/pat_/)
    const orgs = await fetch(`${run.url}/v1/orgs`, {
      headers: { authorization: `Bearer ${preset}` },
    })
    expect(((await orgs.json()) as { items: { name: string }[] }).items[0]?.name).toBe('default')
    run.child.kill('SIGTERM')
    expect(await exitCode(run.child)).toBe(0)
  })

  it('refuses a bad configuration with a clear message and exit 1', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/node.ts'], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: 'mysql://nope' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stderr = ''
    child.stderr?.on('data', (d) => {
      stderr += String(d)
    })
    expect(await exitCode(child)).toBe(1)
    expect(stderr).toContain('PORT')
    expect(stderr).toContain('DATABASE_URL')
  })
})
