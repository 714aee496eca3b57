/**
 * `patronus-agent down` and `up`: maintenance mode through the flag file the running
 * daemon polls (agent/service/maintenance.ts). `down` sets the flag and waits until the
 * daemon says its pipeline is closed; `up` removes it and waits until the daemon runs a
 * pipeline again. Neither needs the daemon to be running: the flag is read at start.
 */
import { clearMaintenance, readMaintenance, setMaintenance } from '../service/maintenance'
import { readPathsStatus } from '../service/paths-status'
import { requireEnrollment, statePaths } from '../state'
import { commonOptions, parse, stateDirFrom, UsageError } from './args'
import { type CliIo, EXIT } from './io'

const OPTIONS_HELP = `Options:
  --wait SECONDS        how long to wait for the running agent to confirm, 0-300
                        (default 15; 0 = do not wait)
  --state-dir DIR       state directory (default /var/lib/patronus, or PATRONUS_STATE_DIR)
  -h, --help            show this help
`

export const DOWN_HELP = `Usage: patronus-agent down [options]

Maintenance: take this site out of the overlay while the agent keeps running and stays
enrolled. The agent closes its tunnels, routes and rules (as on stop) within a second
and stays down, across restarts and reboots, until \`patronus-agent up\`.

  --reason TEXT         recorded in the flag (shown by status)
${OPTIONS_HELP}`

export const UP_HELP = `Usage: patronus-agent up [options]

End maintenance: the agent builds its pipeline again from the cached desired state and
resumes syncing with the control plane.

${OPTIONS_HELP}`

/** How often the CLI looks at paths-status.json while waiting for the daemon. */
const CONFIRM_POLL_MS = 250

function waitSeconds(text: string | undefined): number {
  if (text === undefined) return 15
  const n = Number(text)
  if (!/^\d+$/.test(text) || n > 300) throw new UsageError('--wait must be 0-300 seconds')
  return n
}

/** Polls paths-status.json until the daemon reports `mode` written at or after `since`. */
async function confirmed(
  io: CliIo,
  statusPath: string,
  mode: 'running' | 'maintenance',
  since: number,
  seconds: number,
): Promise<boolean> {
  const deadline = io.clock.now() + seconds * 1000
  for (;;) {
    const status = await readPathsStatus(statusPath).catch(() => undefined)
    if (status && status.mode === mode && Date.parse(status.at) >= since) return true
    if (io.clock.now() >= deadline) return false
    await io.clock.sleep(CONFIRM_POLL_MS, io.signal)
    if (io.signal.aborted) return false
  }
}

export async function downCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ...commonOptions,
    wait: { type: 'string' },
    reason: { type: 'string' },
  })
  if (values.help) {
    io.stdout(DOWN_HELP)
    return EXIT.ok
  }
  const seconds = waitSeconds(values.wait)
  const paths = statePaths(stateDirFrom(values['state-dir'], io.env))
  await requireEnrollment(paths)
  const existing = await readMaintenance(paths.maintenance).catch(() => undefined)
  const since = existing ? Date.parse(existing.since) : io.clock.now()
  if (!existing) await setMaintenance(paths.maintenance, since, values.reason)
  io.stdout(
    existing
      ? `already in maintenance since ${existing.since}\n`
      : `maintenance flag set (${paths.maintenance})\n`,
  )
  if (seconds === 0) return EXIT.ok
  if (await confirmed(io, paths.pathsStatus, 'maintenance', since, seconds)) {
    io.stdout('the agent closed its pipeline: tunnels and routes are down; `up` resumes\n')
  } else {
    io.stdout(
      `the agent did not confirm within ${seconds} s (is it running?); ` +
        'it stays down whenever it starts until `patronus-agent up`\n',
    )
  }
  return EXIT.ok
}

export async function upCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...commonOptions, wait: { type: 'string' } })
  if (values.help) {
    io.stdout(UP_HELP)
    return EXIT.ok
  }
  const seconds = waitSeconds(values.wait)
  const paths = statePaths(stateDirFrom(values['state-dir'], io.env))
  await requireEnrollment(paths)
  const since = io.clock.now()
  if (!(await clearMaintenance(paths.maintenance))) {
    io.stdout('not in maintenance; nothing to do\n')
    return EXIT.ok
  }
  io.stdout('maintenance flag removed\n')
  if (seconds === 0) return EXIT.ok
  if (await confirmed(io, paths.pathsStatus, 'running', since, seconds)) {
    io.stdout('the agent is running its pipeline again\n')
  } else {
    io.stdout(`the agent did not confirm within ${seconds} s (is it running? see \`status\`)\n`)
  }
  return EXIT.ok
}
