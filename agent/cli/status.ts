/**
 * `patronus-agent status`: what this agent knows about itself, from local state only (it
 * works with the control plane down): identity, server, revision, last sync, uplinks, and
 * per path the state, RTT, loss and active classes the running daemon last reported
 * (paths-status.json), plus maintenance mode.
 */
import { readMaintenance } from '../service/maintenance'
import { readPathsStatus } from '../service/paths-status'
import { fileStore, requireEnrollment, statePaths } from '../state'
import { commonOptions, parse, stateDirFrom } from './args'
import { type CliIo, EXIT } from './io'
import { describePaths, pathLines } from './status-paths'

export const STATUS_HELP = `Usage: patronus-agent status [options]

Show this agent's identity, control plane, applied revision, last sync and uplinks,
maintenance mode, and each path's state, RTT, loss and active classes as the running
agent last reported them (every 5 s), from the state directory (no network).

Options:
  --json                print {agentId, siteId, server, revision, lastSyncAt, uplinks,
                        maintenance, pathsAt, paths}
  --state-dir DIR       state directory (default /var/lib/patronus, or PATRONUS_STATE_DIR)
  -h, --help            show this help
`

export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...commonOptions, json: { type: 'boolean' } })
  if (values.help) {
    io.stdout(STATUS_HELP)
    return EXIT.ok
  }
  const paths = statePaths(stateDirFrom(values['state-dir'], io.env))
  const enrollment = await requireEnrollment(paths)
  const store = fileStore(paths)
  const sync = await store.loadSyncStatus()
  const desired = await store.load()
  // A damaged report must not hide the rest of the status; the daemon rewrites it anyway.
  const pathsStatus = await readPathsStatus(paths.pathsStatus).catch(() => undefined)
  const maintenance = await readMaintenance(paths.maintenance)
  // The desired state's uplinks (with slots) once synced; the enrollment claims before.
  const uplinks = desired
    ? desired.uplinks.map((u) => ({ name: u.name, interface: u.interface, slot: u.slot }))
    : enrollment.uplinks.map((u) => ({ name: u.name, interface: u.interface }))
  const status = {
    agentId: enrollment.agentId,
    siteId: enrollment.siteId,
    server: enrollment.serverUrl,
    revision: desired?.revision ?? null,
    lastSyncAt: sync?.lastSyncAt ?? null,
    uplinks,
    maintenance: maintenance ?? null,
    pathsAt: pathsStatus?.at ?? null,
    paths: pathsStatus ? pathLines(pathsStatus, desired) : [],
  }
  if (values.json) {
    io.stdout(`${JSON.stringify(status, null, 2)}\n`)
    return EXIT.ok
  }
  io.stdout(
    [
      `agent     ${status.agentId}`,
      `site      ${status.siteId} (org ${enrollment.orgId})`,
      `overlay   ${enrollment.overlayAddress}`,
      `server    ${status.server}`,
      `revision  ${status.revision ?? '(never synced)'}`,
      `last sync ${status.lastSyncAt ?? '(never)'}`,
      `uplinks   ${uplinks.map((u) => `${u.name}=${u.interface}`).join(', ') || '(none)'}`,
      '',
    ].join('\n') +
      describePaths({ status: pathsStatus, desired, maintenance, now: io.clock.now() }),
  )
  return EXIT.ok
}
