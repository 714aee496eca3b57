/**
 * `patronus`: the operator's CLI for a Patronus control plane. Parses the command line,
 * dispatches, and turns every failure into a message and an exit code (1 error, 2 usage).
 * Every output passes through a filter that blanks the API token, so no error message,
 * debug line or echoed request can leak it.
 */
import { parse } from './args'
import { ApiClient } from './client'
import { enrollTokenCommand, tokensCommands, webhooksCommands } from './commands/access'
import { applyCommand, exportCommand } from './commands/declarative'
import { eventsCommand } from './commands/events'
import { policiesCommands } from './commands/policies'
import { sitesCommands, uplinksCommands } from './commands/sites'
import { type CommandTree, completionScript } from './completion'
import { normaliseServer, saveCredentials } from './config'
import { type Command, type CommandGroup, makeContext } from './context'
import { type AdminIo, EXIT, UsageError } from './io'
import { sitePageSchema } from './lookup'
import { printError, printObject, redacting } from './output'

export const USAGE = `Usage: patronus <command> [options]

  login --server URL --token TOKEN   check and store the credentials (0600)
  sites list|get SITE|create|delete SITE
  uplinks list SITE|create SITE|delete UPLINK_ID
  policies list|get POLICY|apply -f FILE|check -f FILE|diff -f FILE
  tokens list|create --name N --role R|revoke TOKEN_ID
  enroll-token SITE [--expires-in SECONDS] [--max-uses N]
  events [--follow] [--type T] [--site SITE] [--interval SECONDS]
  webhooks list|create --url URL [--event TYPE]...|delete WEBHOOK_ID
  apply -f FILE [--dry-run] [--prune]   make the org match a YAML/JSON file
  export [-o FILE]                      the org as such a file (no secrets)
  completion bash|zsh

Global options: --json (machine output), --server URL, -h/--help.
Credentials: PATRONUS_SERVER and PATRONUS_TOKEN override the login file
($XDG_CONFIG_HOME/patronus/config.json). SITE and POLICY take an id or a name.
Exit codes: 0 ok, 1 error (an API problem is printed with its field errors), 2 usage.
`

const loginCommand: Command = async (ctx, argv) => {
  const { values } = parse(argv, { token: { type: 'string' } })
  if (!values.server || !values.token) {
    throw new UsageError('login needs --server URL and --token TOKEN')
  }
  const creds = { server: normaliseServer(values.server), token: values.token }
  // Check before storing: a wrong URL or token fails now, not on the next command.
  await new ApiClient(creds, ctx.io).request('GET', '/v1/sites', sitePageSchema, {
    query: { limit: 1 },
  })
  const path = saveCredentials(ctx.io.env, creds)
  printObject(ctx.io, ctx.out, { server: creds.server, config: path })
  return EXIT.ok
}

const groups: Record<string, CommandGroup> = {
  sites: sitesCommands,
  uplinks: uplinksCommands,
  policies: policiesCommands,
  tokens: tokensCommands,
  webhooks: webhooksCommands,
}

const commands: Record<string, Command> = {
  login: loginCommand,
  events: eventsCommand,
  apply: applyCommand,
  export: exportCommand,
  'enroll-token': enrollTokenCommand,
}

export const COMMAND_TREE: CommandTree = {
  ...Object.fromEntries(Object.keys(commands).map((name) => [name, []])),
  ...Object.fromEntries(Object.entries(groups).map(([name, g]) => [name, Object.keys(g)])),
  completion: ['bash', 'zsh'],
}

/** Runs one command line; resolves to the exit code. */
export async function runPatronus(argv: string[], rawIo: AdminIo): Promise<number> {
  let token: string | undefined
  const io = redacting(rawIo, () => token ?? rawIo.env['PATRONUS_TOKEN'])
  const json = argv.includes('--json')
  const out = { json }
  try {
    const [name, ...rest] = argv
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(USAGE)
      return name ? EXIT.ok : EXIT.usage
    }
    // The login token is redacted from here on, whatever the command prints.
    token = flagValue(argv, '--token')
    const serverFlag = flagValue(argv, '--server')
    const ctx = makeContext(io, out, serverFlag, (creds) => {
      token = creds.token
    })
    if (name === 'completion') {
      io.stdout(completionScript(rest[0], COMMAND_TREE))
      return EXIT.ok
    }
    const single = commands[name]
    if (single) return await single(ctx, rest)
    const group = groups[name]
    if (!group) throw new UsageError(`unknown command "${name}" (patronus --help)`)
    const [sub, ...args] = rest
    const handler = sub ? group[sub] : undefined
    if (!handler) {
      throw new UsageError(`${name}: one of ${Object.keys(group).join(', ')} (patronus --help)`)
    }
    return await handler(ctx, args)
  } catch (error) {
    printError(io, out, error)
    return error instanceof UsageError ? EXIT.usage : EXIT.error
  }
}

/** `--name VALUE` or `--name=VALUE`, read before the command parses its own flags strictly. */
function flagValue(argv: string[], flag: string): string | undefined {
  for (const [index, arg] of argv.entries()) {
    if (arg === flag) return argv[index + 1]
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1)
  }
  return undefined
}
