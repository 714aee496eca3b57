/**
 * `patronus-agent run`: the daemon's composition root. Wires the real store, signer,
 * control client, recording engine and pino logger into a Daemon and runs it until
 * SIGTERM/SIGINT (exit 0) or revocation (exit 3, the engine left as it is).
 */
import { createControlClient } from '../control'
import { Daemon, REVOKED_MESSAGE } from '../daemon'
import { RecordingEngine } from '../engine'
import { createLogger, LOG_LEVELS } from '../logger'
import { fileStore, loadSigner, requireEnrollment, statePaths } from '../state'
import { AGENT_VERSION } from '../version'
import { commonOptions, parse, stateDirFrom, UsageError } from './args'
import { type CliIo, EXIT } from './io'

export const RUN_HELP = `Usage: patronus-agent run [options]

Run the agent daemon: apply the cached desired state at once (fail-static), then keep
it in sync with the control plane (long-poll) and send heartbeats. Stops cleanly on
SIGTERM/SIGINT (exit 0). Exits 3 if the control plane revoked this agent.

Options:
  --state-dir DIR       state directory (default /var/lib/patronus, or PATRONUS_STATE_DIR)
  --log-level LEVEL     trace|debug|info|warn|error|fatal|silent (default info, or
                        PATRONUS_LOG_LEVEL); JSON lines on stderr
  -h, --help            show this help
`

export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...commonOptions, 'log-level': { type: 'string' } })
  if (values.help) {
    io.stdout(RUN_HELP)
    return EXIT.ok
  }
  const level = values['log-level'] ?? io.env['PATRONUS_LOG_LEVEL'] ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`run: --log-level must be one of ${LOG_LEVELS.join(', ')}`)
  }
  const paths = statePaths(stateDirFrom(values['state-dir'], io.env))
  const enrollment = await requireEnrollment(paths)
  const logger = (io.logger ?? createLogger(level as (typeof LOG_LEVELS)[number])).child({
    agentId: enrollment.agentId,
    siteId: enrollment.siteId,
  })
  const engine = new RecordingEngine(logger.child({ component: 'engine' }))
  const daemon = new Daemon({
    client: createControlClient({
      serverUrl: enrollment.serverUrl,
      signer: await loadSigner(paths, enrollment.agentId),
      fetch: io.fetch,
      clock: io.clock,
    }),
    engine,
    store: fileStore(paths),
    clock: io.clock,
    logger,
    agentVersion: AGENT_VERSION,
    uplinkNames: enrollment.uplinks.map((u) => u.name),
  })
  logger.info({ server: enrollment.serverUrl, version: AGENT_VERSION }, 'agent starting')
  const exit = await daemon.run(io.signal)
  if (exit === 'revoked') {
    io.stderr(`patronus-agent: ${REVOKED_MESSAGE}\n`)
    return EXIT.revoked
  }
  return EXIT.ok
}
