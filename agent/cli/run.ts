/**
 * `patronus-agent run`: the daemon's composition root. Wires the real store, signer,
 * control client, pipeline and pino logger into a Daemon and runs it until SIGTERM/SIGINT
 * (exit 0) or revocation (exit 3, the pipeline left as it is).
 *
 * The pipeline is the staged one of the running agent (agent/cli/mesh.ts: the WireGuard
 * mesh over the auto-selected backend and rtnetlink, the path monitor, ...) unless
 * `--dry-run` asks for the recording pipeline, which changes nothing on the host and needs
 * no root.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { Registry } from 'prom-client'
import { registerClassifierMetrics } from '../bpf'
import { createControlClient } from '../control'
import { Daemon, type DaemonExit, DEFAULT_DAEMON_OPTIONS, REVOKED_MESSAGE } from '../daemon'
import { createLogger, LOG_LEVELS, type Logger } from '../logger'
import {
  DEFAULT_METRICS_LISTEN,
  type MetricsServer,
  parseListen,
  startMetricsServer,
} from '../metrics'
import { startAgentTracing, tracedFetch } from '../observability'
import { registerOptimizerMetrics } from '../optimizer/tunnel/wiring'
import { registerMonitorMetrics } from '../pathmon'
import { RecordingPipeline } from '../pipeline'
import { runWithMaintenance } from '../service/maintenance'
import { pathsStatusOf, writePathsStatusLoop } from '../service/paths-status'
import { fileStore, loadSigner, requireEnrollment, statePaths, writeJsonAtomic } from '../state'
import { AGENT_VERSION } from '../version'
import { commonOptions, parse, stateDirFrom, UsageError } from './args'
import { allowStoredHttp } from './insecure'
import { type CliIo, EXIT } from './io'
import {
  type BuiltPipeline,
  DEFAULT_INTERFACE_PREFIX,
  type MeshRunOptions,
  meshPipelineFor,
} from './mesh'

export const RUN_HELP = `Usage: patronus-agent run [options]

Run the agent daemon: apply the cached desired state at once (fail-static), then keep
it in sync with the control plane (long-poll) and send heartbeats. Stops cleanly on
SIGTERM/SIGINT (exit 0), removing its tunnels and routes. Exits 3 if the control plane
revoked this agent. While \`patronus-agent down\` holds it in maintenance (maintenance.json
in the state directory) the pipeline stays closed; \`up\` starts it again.

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
  --metrics-listen ADDR    Prometheus /metrics on host:port (default ${DEFAULT_METRICS_LISTEN}, or
                           PATRONUS_METRICS_LISTEN); "off" to disable
  --bfd-interval-ms MS     override the desired state's BFD interval (10-10000; e.g. the
                           lab's 50); or PATRONUS_BFD_INTERVAL_MS
  --bfd-multiplier N       override the desired state's BFD detect multiplier (2-255); or
                           PATRONUS_BFD_MULTIPLIER
  --lan-interface IFACE    attach the eBPF classifier (bpf/build/classifier.o, built if
                           missing) on the LAN-facing IFACE: policies' applications,
                           ports, prefixes and DSCP mark flows to their class's table
                           (or PATRONUS_LAN_INTERFACE; default none). Without BPF the
                           agent says so and keeps ip rules for port/prefix/DSCP policies
  --insecure-http          allow a plain http:// control plane that the enrollment did
                           not record as allowed (\`enroll --insecure-http\`; labs and
                           tests only: answers are not signed)
  -h, --help               show this help
`

export const RUN_OPTIONS = {
  ...commonOptions,
  'log-level': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'interface-prefix': { type: 'string' },
  wireguard: { type: 'string' },
  'underlay-source': { type: 'string' },
  'long-poll': { type: 'string' },
  'metrics-listen': { type: 'string' },
  'bfd-interval-ms': { type: 'string' },
  'bfd-multiplier': { type: 'string' },
  'lan-interface': { type: 'string' },
  'insecure-http': { type: 'boolean' },
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
  const intervalMs = intOption(
    values['bfd-interval-ms'] as string | undefined,
    env['PATRONUS_BFD_INTERVAL_MS'],
    '--bfd-interval-ms',
    10,
    10_000,
  )
  const multiplier = intOption(
    values['bfd-multiplier'] as string | undefined,
    env['PATRONUS_BFD_MULTIPLIER'],
    '--bfd-multiplier',
    2,
    255,
  )
  const lan = pick(values['lan-interface'] as string | undefined, env['PATRONUS_LAN_INTERFACE'], '')
  if (lan !== '' && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(lan)) {
    throw new UsageError('run: --lan-interface must be an interface name (1-15 characters)')
  }
  return {
    ...(lan ? { lanInterface: lan } : {}),
    interfacePrefix: prefix,
    wireguard,
    mode: source === 'plan' ? 'lab' : 'prod',
    bfd: { intervalMs, multiplier },
  }
}

function intOption(
  value: string | undefined,
  env: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = value ?? (env !== undefined && env !== '' ? env : undefined)
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(`run: ${name} must be a whole number within ${min}-${max}`)
  }
  return n
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
  const metricsText = pick(
    values['metrics-listen'],
    io.env['PATRONUS_METRICS_LISTEN'],
    DEFAULT_METRICS_LISTEN,
  )
  const metricsListen = metricsText === 'off' ? undefined : parseListenOption(metricsText)
  const longPoll = longPollSeconds(values['long-poll'], io.env['PATRONUS_LONG_POLL_SECONDS'])
  const paths = statePaths(stateDirFrom(values['state-dir'], io.env))
  const enrollment = await requireEnrollment(paths)
  // Before any engine or socket: a refused http:// server must leave the host untouched.
  const allowInsecureHttp = allowStoredHttp('run', enrollment, values['insecure-http'])
  const logger = (io.logger ?? createLogger(level as (typeof LOG_LEVELS)[number])).child({
    agentId: enrollment.agentId,
    siteId: enrollment.siteId,
  })
  const pipelineLogger = logger.child({ component: 'pipeline' })
  const signer = await loadSigner(paths, enrollment.agentId)
  if (allowInsecureHttp) {
    logger.warn(
      { server: enrollment.serverUrl },
      'control plane over plain HTTP (--insecure-http): for labs and tests only',
    )
  }
  if (mesh) mesh.controlPlaneAddress = await controlPlaneAddress(enrollment.serverUrl, logger)
  if (mesh) {
    // Failure prediction and scorer plugins ride on the path monitor: none in dry-run.
    mesh.artifacts = {
      stateDir: paths.dir,
      serverUrl: enrollment.serverUrl,
      allowInsecureHttp,
      signer,
      fetch: tracedFetch(io.fetch),
    }
  }
  const tracing = startAgentTracing(io.env)
  // One session = one pipeline and one Daemon; `down` (the maintenance flag) ends a session
  // and `up` starts the next (agent/service/maintenance.ts).
  const session = async (signal: AbortSignal): Promise<DaemonExit> => {
    const built: BuiltPipeline = mesh
      ? await meshPipelineFor(paths, mesh, pipelineLogger, io.clock)
      : { pipeline: new RecordingPipeline(pipelineLogger), release: () => {} }
    let metrics: MetricsServer | undefined
    const statusStop = new AbortController()
    const statusWriter = writePathsStatusLoop({
      path: paths.pathsStatus,
      clock: io.clock,
      logger,
      // The monitor itself, not the reporter: the reporter's telemetry takes the classifier's
      // traffic deltas, which belong to the control plane's telemetry.
      source: built.monitor,
      signal: statusStop.signal,
    })
    try {
      if (metricsListen && built.monitor) {
        const registry = new Registry()
        registerMonitorMetrics(registry, built.monitor)
        built.prediction?.register(registry)
        built.scorers?.register(registry)
        if (built.classifier) registerClassifierMetrics(registry, built.classifier)
        if (built.optimizer) registerOptimizerMetrics(registry, built.optimizer)
        try {
          metrics = await startMetricsServer(registry, metricsListen)
          logger.info({ url: metrics.url }, 'metrics listening')
        } catch (error) {
          // Metrics are for observing the agent; forwarding must not depend on them.
          logger.error({ err: (error as Error).message }, 'metrics server')
        }
      }
      const daemon = new Daemon({
        client: createControlClient({
          serverUrl: enrollment.serverUrl,
          allowInsecureHttp,
          signer,
          // Every control-plane request carries a W3C traceparent (a no-op unless OTEL_* is set).
          fetch: tracedFetch(io.fetch),
          clock: io.clock,
        }),
        pipeline: built.pipeline,
        store: fileStore(paths),
        clock: io.clock,
        logger,
        agentVersion: AGENT_VERSION,
        uplinkNames: enrollment.uplinks.map((u) => u.name),
        ...(built.monitor ? { reporter: built.reporter ?? built.monitor } : {}),
        options: { longPollSeconds: longPoll },
      })
      logger.info(
        {
          server: enrollment.serverUrl,
          version: AGENT_VERSION,
          pipeline: mesh ? 'mesh' : 'dry-run',
        },
        'agent starting',
      )
      return await daemon.run(signal)
    } finally {
      statusStop.abort()
      await statusWriter
      await metrics?.close().catch(() => {})
      built.release()
    }
  }
  try {
    const exit = await runWithMaintenance({
      flagPath: paths.maintenance,
      clock: io.clock,
      logger,
      signal: io.signal,
      session,
      onMaintenance: () =>
        writeJsonAtomic(paths.pathsStatus, pathsStatusOf(undefined, io.clock.now(), 'maintenance')),
    })
    if (exit === 'revoked') {
      io.stderr(`patronus-agent: ${REVOKED_MESSAGE}\n`)
      return EXIT.revoked
    }
    return EXIT.ok
  } finally {
    await tracing.shutdown().catch(() => {})
  }
}

/** The control plane's IPv4 address (resolved once at start), or undefined. */
async function controlPlaneAddress(serverUrl: string, logger: Logger): Promise<string | undefined> {
  const host = new URL(serverUrl).hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) === 4) return host
  if (isIP(host) === 6) return undefined
  try {
    return (await lookup(host, { family: 4 })).address
  } catch (error) {
    logger.warn({ host, err: (error as Error).message }, 'resolve control plane; not steered')
    return undefined
  }
}

function parseListenOption(text: string) {
  try {
    return parseListen(text)
  } catch (error) {
    throw new UsageError(`run: --metrics-listen: ${(error as Error).message}`)
  }
}
