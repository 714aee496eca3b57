/**
 * `patronus-agent run`: the daemon's composition root. Wires the real store, signer,
 * control client, engine and pino logger into a Daemon and runs it until SIGTERM/SIGINT
 * (exit 0) or revocation (exit 3, the engine left as it is).
 *
 * The engine is the WireGuard mesh (mesh engine over the auto-selected backend and
 * rtnetlink) unless `--dry-run` asks for the recording engine, which changes nothing on
 * the host and needs no root.
 */
import { createControlClient } from '../control'
import { Daemon, DEFAULT_DAEMON_OPTIONS, REVOKED_MESSAGE } from '../daemon'
import { RecordingEngine } from '../engine'
import { createLogger, LOG_LEVELS } from '../logger'
import { fileStore, loadSigner, requireEnrollment, statePaths } from '../state'
import { AGENT_VERSION } from '../version'
import { commonOptions, parse, stateDirFrom, UsageError } from './args'
import { type CliIo, EXIT } from './io'
import { DEFAULT_INTERFACE_PREFIX, type MeshRunOptions, meshEngineFor } from './mesh'

export const RUN_HELP = `Usage: patronus-agent run [options]

Run the agent daemon: apply the cached desired state at once (fail-static), then keep
it in sync with the control plane (long-poll) and send heartbeats. Stops cleanly on
SIGTERM/SIGINT (exit 0), removing its tunnels and routes. Exits 3 if the control plane
revoked this agent.

The desired state is applied as a WireGuard mesh (needs root): one interface per
(local uplink, remote uplink) pair, rtnetlink routes and rules, IPv4 forwarding on and
loose rp_filter on the tunnel interfaces.

Options:
  --state-dir DIR          state directory (default /var/lib/patronus, or PATRONUS_STATE_DIR)
  --log-level LEVEL        trace|debug|info|warn|error|fatal|silent (default info, or
                           PATRONUS_LOG_LEVEL); JSON lines on stderr
  --dry-run                change nothing on the host: log what would be done (no root
                           needed; or PATRONUS_DRY_RUN=1)
  --interface-prefix P     WireGuard interface name prefix, 1-12 of [A-Za-z0-9_.-]
                           (default ${DEFAULT_INTERFACE_PREFIX}, or PATRONUS_INTERFACE_PREFIX); must be unique on
                           the host, as wireguard-go's sockets are host-wide
  --wireguard KIND         auto|kernel|userspace (default auto, or PATRONUS_WIREGUARD)
  --underlay-source SRC    interface|plan: where an uplink's source address for its
                           \`from\` rule comes from (default interface, or
                           PATRONUS_UNDERLAY_SOURCE); plan = the uplink's endpoint host,
                           for labs where it is the interface's own address
  --long-poll SECONDS      config long-poll wait, 1-60 (default ${DEFAULT_DAEMON_OPTIONS.longPollSeconds}, or
                           PATRONUS_LONG_POLL_SECONDS)
  -h, --help               show this help
`

const RUN_OPTIONS = {
  ...commonOptions,
  'log-level': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'interface-prefix': { type: 'string' },
  wireguard: { type: 'string' },
  'underlay-source': { type: 'string' },
  'long-poll': { type: 'string' },
} as const

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value)
}

function pick(value: string | undefined, env: string | undefined, fallback: string): string {
  if (value !== undefined) return value
  return env !== undefined && env !== '' ? env : fallback
}

function meshOptions(
  values: { [K in keyof typeof RUN_OPTIONS]?: string | boolean | undefined },
  env: Record<string, string | undefined>,
): MeshRunOptions {
  const prefix = pick(
    values['interface-prefix'] as string | undefined,
    env['PATRONUS_INTERFACE_PREFIX'],
    DEFAULT_INTERFACE_PREFIX,
  )
  if (!/^[A-Za-z0-9_.-]{1,12}$/.test(prefix)) {
    throw new UsageError('run: --interface-prefix must be 1-12 of [A-Za-z0-9_.-]')
  }
  const wireguard = pick(values.wireguard as string | undefined, env['PATRONUS_WIREGUARD'], 'auto')
  if (wireguard !== 'auto' && wireguard !== 'kernel' && wireguard !== 'userspace') {
    throw new UsageError('run: --wireguard must be auto, kernel or userspace')
  }
  const source = pick(
    values['underlay-source'] as string | undefined,
    env['PATRONUS_UNDERLAY_SOURCE'],
    'interface',
  )
  if (source !== 'interface' && source !== 'plan') {
    throw new UsageError('run: --underlay-source must be interface or plan')
  }
  return {
    interfacePrefix: prefix,
    wireguard,
    mode: source === 'plan' ? 'lab' : 'prod',
  }
}

function longPollSeconds(value: string | undefined, env: string | undefined): number {
  const text = pick(value, env, String(DEFAULT_DAEMON_OPTIONS.longPollSeconds))
  const seconds = Number(text)
  if (!/^\d+$/.test(text) || seconds < 1 || seconds > 60) {
    throw new UsageError('run: --long-poll must be a whole number of seconds within 1-60')
  }
  return seconds
}

export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, RUN_OPTIONS)
  if (values.help) {
    io.stdout(RUN_HELP)
    return EXIT.ok
  }
  const level = values['log-level'] ?? io.env['PATRONUS_LOG_LEVEL'] ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`run: --log-level must be one of ${LOG_LEVELS.join(', ')}`)
  }
  const dryRun = values['dry-run'] === true || truthy(io.env['PATRONUS_DRY_RUN'])
  const mesh = dryRun ? undefined : meshOptions(values, io.env)
  const longPoll = longPollSeconds(values['long-poll'], io.env['PATRONUS_LONG_POLL_SECONDS'])
  const paths = statePaths(stateDirFrom(values['state-dir'], io.env))
  const enrollment = await requireEnrollment(paths)
  const logger = (io.logger ?? createLogger(level as (typeof LOG_LEVELS)[number])).child({
    agentId: enrollment.agentId,
    siteId: enrollment.siteId,
  })
  const engineLogger = logger.child({ component: 'engine' })
  const signer = await loadSigner(paths, enrollment.agentId)
  const built = mesh
    ? await meshEngineFor(paths, mesh, engineLogger)
    : { engine: new RecordingEngine(engineLogger), release: () => {} }
  try {
    const daemon = new Daemon({
      client: createControlClient({
        serverUrl: enrollment.serverUrl,
        signer,
        fetch: io.fetch,
        clock: io.clock,
      }),
      engine: built.engine,
      store: fileStore(paths),
      clock: io.clock,
      logger,
      agentVersion: AGENT_VERSION,
      uplinkNames: enrollment.uplinks.map((u) => u.name),
      options: { longPollSeconds: longPoll },
    })
    logger.info(
      { server: enrollment.serverUrl, version: AGENT_VERSION, engine: mesh ? 'mesh' : 'dry-run' },
      'agent starting',
    )
    const exit = await daemon.run(io.signal)
    if (exit === 'revoked') {
      io.stderr(`patronus-agent: ${REVOKED_MESSAGE}\n`)
      return EXIT.revoked
    }
    return EXIT.ok
  } finally {
    built.release()
  }
}
