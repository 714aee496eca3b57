/**
 * Installing and removing the agent's systemd service.
 *
 * install: writes the unit (atomically, mode 0644), `systemctl daemon-reload`, then
 * `systemctl enable --now` on a first install, or `enable` + `restart` when a unit was
 * already there (an upgrade: the new code and unit take effect). It never touches the state
 * directory, so keys, enrollment and the cached desired state survive upgrades. When a
 * systemctl step fails the previous unit file is put back (or the new one removed), so a
 * failed install leaves the host as it was.
 *
 * uninstall: `systemctl disable --now`, removes the unit, daemon-reload, reset-failed. The
 * state directory (the site's keys) is kept unless `purge`: re-installing then resumes as
 * the same site without a new enrollment.
 */
import { randomBytes } from 'node:crypto'
import { open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { NOT_SYSTEMD, type ServiceHost } from './systemd'
import { renderUnit, UNIT_NAME, type UnitOptions } from './unit'

export class ServiceError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ServiceError'
  }
}

/** Unit files are world-readable by convention (`systemctl cat` as a user). */
const UNIT_FILE_MODE = 0o644

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

async function writeUnitFile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', UNIT_FILE_MODE)
  try {
    await handle.writeFile(text)
    await handle.chmod(UNIT_FILE_MODE)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(tmp, { force: true })
    throw error
  }
  await handle.close()
  await rename(tmp, path).catch(async (error: unknown) => {
    await rm(tmp, { force: true })
    throw error
  })
}

async function systemctl(host: ServiceHost, args: string[]): Promise<void> {
  const result = await host.exec('systemctl', args)
  if (result.code !== 0) {
    const detail = result.stderr.trim().split('\n').slice(-3).join(' | ')
    throw new ServiceError(`systemctl ${args.join(' ')} failed (exit ${result.code}): ${detail}`)
  }
}

export interface InstallResult {
  unitPath: string
  upgraded: boolean
  started: boolean
}

export async function installService(
  unit: UnitOptions,
  host: ServiceHost,
  options: { start: boolean },
): Promise<InstallResult> {
  // Before anything is written: render (it validates the paths and arguments) and check
  // that systemd can take the unit.
  const text = renderUnit(unit)
  if (!(await host.systemdRunning())) throw new ServiceError(NOT_SYSTEMD)
  const previous = await readIfExists(host.unitPath)
  await writeUnitFile(host.unitPath, text)
  try {
    await systemctl(host, ['daemon-reload'])
    if (previous === undefined) {
      await systemctl(host, options.start ? ['enable', '--now', UNIT_NAME] : ['enable', UNIT_NAME])
    } else {
      await systemctl(host, ['enable', UNIT_NAME])
      if (options.start) await systemctl(host, ['restart', UNIT_NAME])
    }
  } catch (error) {
    // Put the host back as it was: the previous unit (or none), reloaded.
    if (previous === undefined) await rm(host.unitPath, { force: true })
    else await writeUnitFile(host.unitPath, previous)
    await host.exec('systemctl', ['daemon-reload']).catch(() => {})
    throw error
  }
  return { unitPath: host.unitPath, upgraded: previous !== undefined, started: options.start }
}

export interface UninstallResult {
  /** The unit file existed and was removed. */
  removed: boolean
  /** The state directory was deleted (purge). */
  purged: boolean
}

/** Files that identify an agent state directory (agent/state/paths.ts). */
const STATE_MARKERS = ['agent.json', 'identity.key', 'wireguard.key']

export async function uninstallService(
  host: ServiceHost,
  options: { purge: boolean; stateDir: string },
): Promise<UninstallResult> {
  if (!(await host.systemdRunning())) throw new ServiceError(NOT_SYSTEMD)
  const existed = (await readIfExists(host.unitPath)) !== undefined
  if (existed) {
    // Stops the agent (it closes its tunnels and routes) and removes the wants link.
    await systemctl(host, ['disable', '--now', UNIT_NAME])
    await rm(host.unitPath, { force: true })
    await systemctl(host, ['daemon-reload'])
    // A unit that failed before stays listed as failed until reset; ignore "not loaded".
    await host.exec('systemctl', ['reset-failed', UNIT_NAME]).catch(() => {})
  }
  let purged = false
  if (options.purge) purged = await purgeStateDir(options.stateDir)
  return { removed: existed, purged }
}

/**
 * Deletes the state directory, but only one that is the agent's: it holds one of the
 * agent's key or enrollment files (a mistyped --state-dir such as /etc must never be wiped).
 * An absent directory is already purged.
 */
async function purgeStateDir(dir: string): Promise<boolean> {
  let entries: import('node:fs').Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
  const names = new Set(entries.map((e) => e.name))
  if (!STATE_MARKERS.some((m) => names.has(m))) {
    throw new ServiceError(
      `--purge: ${dir} does not look like an agent state directory ` +
        `(none of ${STATE_MARKERS.join(', ')}); not deleting it`,
    )
  }
  await rm(dir, { recursive: true, force: true })
  return true
}
