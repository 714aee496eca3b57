/**
 * `patronus-agent install` and `uninstall`: the agent as a hardened systemd service
 * (agent/service/unit.ts says what the unit contains and why).
 */
import { existsSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { installService, uninstallService } from '../service/install'
import { realServiceHost } from '../service/systemd'
import { renderUnit, UNIT_NAME, type UnitOptions, usesClassifier } from '../service/unit'
import { commonOptions, parse, stateDirFrom, UsageError } from './args'
import { type CliIo, EXIT } from './io'
import { CLASSIFIER_OBJECT } from './mesh'
import { RUN_OPTIONS } from './run'

/**
 * The script of this installation that the unit runs: the one this process was started
 * with (agent/bin/patronus-agent.js in a checkout, dist/patronus-agent.mjs in the package),
 * through any npm bin symlink, so the service runs exactly what the operator just ran.
 */
export function agentScript(argv1: string | undefined = process.argv[1]): string {
  if (!argv1) throw new UsageError('install: cannot tell which patronus-agent script is running')
  return realpathSync(argv1)
}

export const INSTALL_HELP = `Usage: patronus-agent install [options] [-- RUN-OPTIONS...]

Install the agent as a systemd service (${UNIT_NAME}): write the unit, reload systemd,
enable it and start it. Run it again after an upgrade: the unit is rewritten and the
service restarted; the state directory (keys, enrollment, cached desired state) is never
touched. Enroll first. The service runs \`patronus-agent run --state-dir DIR RUN-OPTIONS\`
as root with only CAP_NET_ADMIN and CAP_NET_RAW (plus CAP_BPF, CAP_PERFMON and
CAP_SYS_ADMIN with --lan-interface), on a read-only file system (ProtectSystem=strict).

Options:
  --state-dir DIR       state directory (default /var/lib/patronus, or PATRONUS_STATE_DIR)
  --no-start            enable the service but do not start or restart it
  --print               print the unit and change nothing
  --unit-path PATH      where to write the unit (default /etc/systemd/system/${UNIT_NAME})
  -h, --help            show this help

RUN-OPTIONS (after --) are \`run\` options, e.g. -- --lan-interface eth1 --log-level debug
`

export const UNINSTALL_HELP = `Usage: patronus-agent uninstall [options]

Stop and disable the systemd service and remove its unit. The state directory (the
site's keys and enrollment) is kept, so a later install resumes as the same site,
unless --purge.

Options:
  --state-dir DIR       state directory (default /var/lib/patronus, or PATRONUS_STATE_DIR)
  --purge               also delete the state directory: the site must enroll again
  --unit-path PATH      the unit's path (default /etc/systemd/system/${UNIT_NAME})
  -h, --help            show this help
`

/** Splits `install [options] -- run options`: the part after `--` belongs to `run`. */
function splitRunArgs(args: string[]): [string[], string[]] {
  const at = args.indexOf('--')
  return at < 0 ? [args, []] : [args.slice(0, at), args.slice(at + 1)]
}

/** Refuses run options `run` itself would refuse: a typo must not become a crash loop. */
function checkRunArgs(runArgs: string[]): void {
  const { values } = parse(runArgs, RUN_OPTIONS)
  if (values['state-dir'] !== undefined) {
    throw new UsageError('install: give --state-dir before --, not among the run options')
  }
  if (values.help) throw new UsageError('install: --help is not a run option for the service')
}

function hostFor(io: CliIo, unitPath: string | undefined) {
  const host = io.service ?? realServiceHost()
  return unitPath ? { ...host, unitPath } : host
}

export async function installCommand(args: string[], io: CliIo): Promise<number> {
  const [own, runArgs] = splitRunArgs(args)
  const { values } = parse(own, {
    ...commonOptions,
    'no-start': { type: 'boolean' },
    print: { type: 'boolean' },
    'unit-path': { type: 'string' },
  })
  if (values.help) {
    io.stdout(INSTALL_HELP)
    return EXIT.ok
  }
  checkRunArgs(runArgs)
  const unit: UnitOptions = {
    node: process.execPath,
    script: agentScript(),
    stateDir: stateDirFrom(values['state-dir'], io.env),
    runArgs,
  }
  if (values.print) {
    io.stdout(renderUnit(unit))
    return EXIT.ok
  }
  if (!existsSync(join(unit.stateDir, 'agent.json'))) {
    // A warning, not a refusal: the unit may be staged before the site is enrolled.
    io.stderr(
      `patronus-agent: warning: ${unit.stateDir} holds no enrollment; the service exits ` +
        'at each start until `patronus-agent enroll` is run\n',
    )
  }
  if (usesClassifier(runArgs) && !existsSync(CLASSIFIER_OBJECT)) {
    // The agent builds it on demand, but not under ProtectSystem=strict (read-only checkout).
    io.stderr(
      `patronus-agent: warning: ${CLASSIFIER_OBJECT} is missing and the service cannot build it ` +
        '(read-only file system); run `npm run build:bpf` first, or the classifier stays off\n',
    )
  }
  const host = hostFor(io, values['unit-path'])
  const result = await installService(unit, host, { start: values['no-start'] !== true })
  const action = result.upgraded ? 'updated' : 'installed'
  const state = result.started
    ? result.upgraded
      ? 'enabled and restarted'
      : 'enabled and started'
    : 'enabled (not started: --no-start)'
  io.stdout(
    `${action} ${result.unitPath}; ${UNIT_NAME} ${state}\n` +
      `state directory ${unit.stateDir} left as it is (keys and cache kept)\n` +
      `logs: journalctl -u ${UNIT_NAME}\n`,
  )
  return EXIT.ok
}

export async function uninstallCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ...commonOptions,
    purge: { type: 'boolean' },
    'unit-path': { type: 'string' },
  })
  if (values.help) {
    io.stdout(UNINSTALL_HELP)
    return EXIT.ok
  }
  const stateDir = stateDirFrom(values['state-dir'], io.env)
  const host = hostFor(io, values['unit-path'])
  const result = await uninstallService(host, { purge: values.purge === true, stateDir })
  io.stdout(
    result.removed
      ? `stopped and disabled ${UNIT_NAME}; removed ${host.unitPath}\n`
      : `${host.unitPath} was not installed; nothing to remove\n`,
  )
  io.stdout(
    values.purge
      ? result.purged
        ? `deleted the state directory ${stateDir}: this site must enroll again\n`
        : `no state directory at ${stateDir}\n`
      : `kept the state directory ${stateDir} (keys, enrollment); --purge deletes it\n`,
  )
  return EXIT.ok
}
