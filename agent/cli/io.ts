/**
 * What a CLI command may touch, injected so commands run in-process in tests with a fake
 * fetch, a fake clock and captured output, and in production with the real ones.
 */
import type { Clock } from '../clock'
import type { FetchLike } from '../control'
import type { Logger } from '../logger'
import type { ServiceHost } from '../service/systemd'

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: Record<string, string | undefined>
  fetch: FetchLike
  clock: Clock
  hostname(): string
  /** Aborted on SIGTERM/SIGINT; only `run` waits on it. */
  signal: AbortSignal
  /** The daemon's logger; `run` makes a pino logger on stderr when absent. */
  logger?: Logger
  /** systemctl and the unit path for install/uninstall; the real host when absent. */
  service?: ServiceHost
}

/** Exit codes: documented in `patronus-agent --help`. */
export const EXIT = { ok: 0, error: 1, usage: 2, revoked: 3 } as const
