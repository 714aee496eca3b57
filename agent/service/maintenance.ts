/**
 * Maintenance mode: `patronus-agent down` holds the site out of the overlay without
 * stopping the agent or forgetting its enrollment; `up` brings it back.
 *
 * Mechanism: a flag file in the state directory (maintenance.json), written atomically by
 * `down` and removed by `up`. The running daemon polls it every MAINTENANCE_POLL_MS (a
 * stat, cheap) and, when it appears, ends its session exactly as on SIGTERM: the daemon
 * closes the pipeline (tunnels, routes, rules, classifier removed; pipeline.close()), the
 * metrics server and the status writer stop. It then writes paths-status.json with mode
 * "maintenance" (how `down` knows the pipeline is down) and waits for the flag to go, to
 * start a fresh session: a new pipeline from the cached desired state, then sync.
 *
 * Why a file rather than a signal or `systemctl stop`: it works the same under systemd and
 * without it, needs no PID, survives a restart or reboot (an agent started while the flag
 * is set stays down, so a site under maintenance does not rejoin by surprise), and the
 * service stays active so Restart=on-failure and `systemctl status` keep their meaning.
 * While down the agent sends no heartbeats, so the control plane sees the site offline.
 */
import { rm, stat } from 'node:fs/promises'
import { z } from 'zod'
import type { Clock } from '../clock'
import type { DaemonExit } from '../daemon'
import type { Logger } from '../logger'
import { readJson, writeJsonAtomic } from '../state'

export const MAINTENANCE_POLL_MS = 1_000

export const maintenanceSchema = z.object({ since: z.string(), reason: z.string().optional() })
export type Maintenance = z.infer<typeof maintenanceSchema>

export function readMaintenance(path: string): Promise<Maintenance | undefined> {
  return readJson(path, maintenanceSchema, 'maintenance flag')
}

export async function setMaintenance(path: string, now: number, reason?: string): Promise<void> {
  const flag: Maintenance = { since: new Date(now).toISOString(), ...(reason ? { reason } : {}) }
  await writeJsonAtomic(path, flag)
}

/** Removes the flag; false when there was none. */
export async function clearMaintenance(path: string): Promise<boolean> {
  const present = await flagPresent(path)
  await rm(path, { force: true })
  return present
}

/**
 * Whether the flag file exists. Only existence counts: a flag the daemon cannot parse
 * (hand-edited) still means "down", rather than an error that would bring tunnels up.
 */
export async function flagPresent(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    // Unreadable is not "absent": stay as we are rather than flap.
    throw error
  }
}

/** Polls until the flag's presence is `present`, or `signal` aborts. */
export async function waitForFlag(
  path: string,
  present: boolean,
  clock: Clock,
  signal: AbortSignal,
  pollMs = MAINTENANCE_POLL_MS,
): Promise<void> {
  while (!signal.aborted) {
    const now = await flagPresent(path).catch(() => !present)
    if (now === present) return
    await clock.sleep(pollMs, signal)
  }
}

export interface MaintenanceLoopOptions {
  flagPath: string
  clock: Clock
  logger: Logger
  /** SIGTERM/SIGINT: ends everything. */
  signal: AbortSignal
  /** One run of the daemon with a fresh pipeline, until its signal aborts or revocation. */
  session(signal: AbortSignal): Promise<DaemonExit>
  /** Called once each time the agent enters maintenance (pipeline already closed). */
  onMaintenance(): Promise<void>
  pollMs?: number
}

/** Runs sessions, pausing between them while the maintenance flag is set. */
export async function runWithMaintenance(options: MaintenanceLoopOptions): Promise<DaemonExit> {
  const { flagPath, clock, logger, signal } = options
  const log = logger.child({ component: 'maintenance' })
  while (!signal.aborted) {
    if (await flagPresent(flagPath).catch(() => false)) {
      log.warn({ flag: flagPath }, 'maintenance: pipeline down; `patronus-agent up` resumes')
      await options.onMaintenance().catch((error: unknown) => {
        log.warn({ err: (error as Error).message }, 'record maintenance status')
      })
      await waitForFlag(flagPath, false, clock, signal, options.pollMs)
      if (signal.aborted) break
      log.info({}, 'maintenance over: starting the pipeline')
    }
    const session = new AbortController()
    const stop = () => session.abort()
    signal.addEventListener('abort', stop, { once: true })
    if (signal.aborted) session.abort()
    const watcher = waitForFlag(flagPath, true, clock, session.signal, options.pollMs).then(() => {
      if (!session.signal.aborted) log.info({}, 'maintenance requested: closing the pipeline')
      session.abort()
    })
    let exit: DaemonExit
    try {
      exit = await options.session(session.signal)
    } finally {
      session.abort()
      await watcher
      signal.removeEventListener('abort', stop)
    }
    if (exit === 'revoked') return 'revoked'
  }
  return 'stopped'
}
