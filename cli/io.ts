/**
 * What an admin CLI command may touch, injected so the tests run commands in-process with
 * captured output and a controllable sleep, and production with the real process.
 */

export interface AdminIo {
  stdout(text: string): void
  stderr(text: string): void
  env: Record<string, string | undefined>
  fetch: (input: string, init?: RequestInit) => Promise<Response>
  /** Resolves after `ms`, or early when `signal` aborts (events --follow waits on it). */
  sleep(ms: number, signal: AbortSignal): Promise<void>
  /** Aborted on SIGINT/SIGTERM: a follow loop then ends and the command exits 0. */
  signal: AbortSignal
}

/** Exit codes, as `patronus --help` documents them. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** A sleep that an abort cuts short (so Ctrl-C during a poll wait exits at once). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
