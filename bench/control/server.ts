/**
 * The control plane under test, as a child process (`node --import tsx worker/node.ts`) so
 * that the load generator never shares its event loop. The child listens on an ephemeral
 * loopback port, uses a temporary embedded database, and is killed on every exit path of
 * the benchmark (normal end, exception, SIGINT/SIGTERM, process exit).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface ServerMemory {
  /** Resident set size now, MiB (VmRSS). */
  rssMiB: number
  /** Peak resident set size since start, MiB (VmHWM). */
  peakRssMiB: number
}

export interface ChildServer {
  url: string
  pid: number
  adminToken: string
  memory(): ServerMemory
  /** The tail of the child's output (its warn/error log lines). */
  logs(): string
  stop(): Promise<void>
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/

function statusKiB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  if (!match) throw new Error(`read /proc/${pid}/status: no ${field}`)
  return Number(match[1])
}

export async function startChildServer(repoRoot: string): Promise<ChildServer> {
  const dir = mkdtempSync(join(tmpdir(), 'patronus-bench-'))
  const adminToken = `bench-admin-${crypto.randomUUID()}`
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'worker/node.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: `file:${join(dir, 'patronus.db')}`,
      PATRONUS_BOOTSTRAP_TOKEN: adminToken,
      LOG_LEVEL: 'warn',
      // The bench measures capacity: thousands of sites in one org, enrolled from and driven
      // over one loopback address, one admin token. Limits and quotas off or out of reach.
      PATRONUS_RATE_LIMIT_ADDRESS: '0',
      PATRONUS_RATE_LIMIT_TOKEN: '0',
      PATRONUS_RATE_LIMIT_AGENT: '0',
      PATRONUS_QUOTA_SITES: '1000000',
      PATRONUS_QUOTA_EVENTS_PER_MINUTE: '1000000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('spawn control plane: no pid')

  let exited = false
  const killNow = () => {
    if (!exited) child.kill('SIGKILL')
  }
  const onSignal = (signal: NodeJS.Signals) => {
    killNow()
    rmSync(dir, { recursive: true, force: true })
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  // 'exit' handlers must be synchronous: SIGKILL is, and the child cannot outlive us.
  process.once('exit', killNow)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  // pino logs to stdout; both streams are kept (tail only) for error reports.
  let stderr = ''
  const keep = (chunk: Buffer) => {
    stderr += chunk.toString()
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000)
  }
  child.stderr?.on('data', keep)
  child.stdout?.on('data', keep)
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true
      resolve()
    })
  })

  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('control plane did not start in 30 s')), 30_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = LISTENING.exec(out)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`control plane exited with ${code} before listening: ${stderr.trim()}`))
    })
  }).catch((error: unknown) => {
    killNow()
    rmSync(dir, { recursive: true, force: true })
    throw error
  })

  return {
    url,
    pid,
    adminToken,
    logs: () => stderr,
    memory: () => ({
      rssMiB: statusKiB(pid, 'VmRSS') / 1024,
      peakRssMiB: statusKiB(pid, 'VmHWM') / 1024,
    }),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM')
        const timer = setTimeout(killNow, 5000)
        await exitedPromise
        clearTimeout(timer)
      }
      process.removeListener('exit', killNow)
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
