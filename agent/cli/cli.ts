/**
 * The CLI dispatcher: picks the command, and is the one place errors become output (house
 * style rule 8): one line on stderr, `patronus-agent: <what went wrong>`, and an exit code
 * (1 error, 2 usage, 3 revoked). A problem+json from the server is shown by its title and
 * detail, never as a stack trace.
 */
import { AgentRevokedError } from '../control'
import { AGENT_VERSION } from '../version'
import { UsageError } from './args'
import { enrollCommand } from './enroll'
import { type CliIo, EXIT } from './io'
import { downCommand, upCommand } from './maintenance'
import { runCommand } from './run'
import { installCommand, uninstallCommand } from './service'
import { statusCommand } from './status'
import { syncCommand } from './sync'

export const MAIN_HELP = `Usage: patronus-agent <command> [options]

The Patronus SD-WAN site agent.

Commands:
  enroll    enroll this site with a control plane (makes the site's keys)
  sync      fetch the desired state once and print it (--once)
  run       run the daemon (fail-static, long-poll sync, heartbeats)
  status    show identity, server, revision, last sync, uplinks and paths
  down      maintenance: close tunnels and routes, stay enrolled (until \`up\`)
  up        end maintenance: build the pipeline again
  install   install, enable and start the hardened systemd service
  uninstall stop and remove the systemd service (keys kept unless --purge)

Run \`patronus-agent <command> --help\` for a command's options;
\`patronus-agent --version\` prints the agent's version.

Exit codes: 0 success, 1 error, 2 usage error, 3 agent revoked by the control plane.
`

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  enroll: enrollCommand,
  sync: syncCommand,
  run: runCommand,
  status: statusCommand,
  down: downCommand,
  up: upCommand,
  install: installCommand,
  uninstall: uninstallCommand,
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(MAIN_HELP)
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(`patronus-agent ${AGENT_VERSION}\n`)
    return EXIT.ok
  }
  const command = COMMANDS[name]
  if (!command) {
    io.stderr(`patronus-agent: unknown command "${name}"; see patronus-agent --help\n`)
    return EXIT.usage
  }
  try {
    return await command(args, io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`patronus-agent: ${error.message}; see patronus-agent ${name} --help\n`)
      return EXIT.usage
    }
    const message = error instanceof Error ? error.message : String(error)
    io.stderr(`patronus-agent: ${firstLine(message)}\n`)
    return error instanceof AgentRevokedError ? EXIT.revoked : EXIT.error
  }
}

/** One line: multi-line messages (e.g. from a library) would break log scraping. */
function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text
}
