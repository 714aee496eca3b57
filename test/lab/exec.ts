/**
 * Process helpers for the WAN lab: every command runs through execFile/spawn with a
 * timeout (no shell), and every wait polls with a deadline.
 */
import { spawn } from 'node:child_process'

export interface RunResult {
  stdout: string
  stderr: string
  code: number
}

export interface RunOptions {
  timeoutMs?: number
  input?: string
  /** Resolve with the exit code instead of rejecting on a non-zero exit. */
  allowFail?: boolean
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly result: RunResult,
  ) {
    super(message)
    this.name = 'CommandError'
  }
}

export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 10_000
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`run ${cmd}: ${err.message}`, { cause: err }))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const result = { stdout, stderr, code: code ?? (signal ? 128 : 1) }
      if (timedOut) {
        reject(
          new CommandError(`${cmd} ${args.join(' ')}: timed out after ${timeoutMs} ms`, result),
        )
      } else if (result.code !== 0 && !options.allowFail) {
        reject(
          new CommandError(
            `${cmd} ${args.join(' ')}: exit ${result.code}: ${stderr.trim() || stdout.trim()}`,
            result,
          ),
        )
      } else {
        resolve(result)
      }
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

/** `ip -n NS ...` */
export function ipn(ns: string, args: string[], options?: RunOptions): Promise<RunResult> {
  return run('ip', ['-n', ns, ...args], options)
}

/** `ip netns exec NS cmd ...` */
export function nsExec(
  ns: string,
  cmd: string,
  args: string[],
  options?: RunOptions,
): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], options)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` until it returns a value other than undefined, or throws at the deadline. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  const interval = options.intervalMs ?? 50
  let lastError: unknown
  for (let attempt = 0; attempt < 100_000; attempt++) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) break
    await sleep(interval)
  }
  const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : ''
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${detail}`)
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL and wait again. */
export async function killPid(pid: number, graceMs = 2_000): Promise<void> {
  if (!isAlive(pid)) return
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return
  }
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline && isAlive(pid)) await sleep(20)
  if (!isAlive(pid)) return
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
  const hard = Date.now() + 2_000
  while (Date.now() < hard && isAlive(pid)) await sleep(20)
}
