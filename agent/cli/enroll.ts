/**
 * `patronus-agent enroll`: makes the site's keys, enrolls with a one-time token, records
 * who the agent is. Keys are written before the request so that an enrollment the server
 * accepted always has its private keys on disk; a failed attempt leaves keys but no
 * agent.json, and the next attempt replaces them.
 */
import { PROTOCOL_VERSION } from '../../protocol/version'
import { enrollAgent, insecureHttpMessage } from '../control'
import {
  ensurePrivateDir,
  fileExists,
  generateKeys,
  readEnrollment,
  saveKeys,
  statePaths,
  writeEnrollment,
} from '../state'
import { AGENT_VERSION } from '../version'
import { commonOptions, parse, parseUplink, stateDirFrom, UsageError } from './args'
import { type CliIo, EXIT } from './io'

export const ENROLL_HELP = `Usage: patronus-agent enroll --server URL --token TOKEN [options]

Enroll this site with a Patronus control plane. Generates an Ed25519 identity key and
an X25519 WireGuard key in the state directory (private keys never leave this host),
sends the public keys with the hostname and uplinks, and records the agent identity.

Options:
  --server URL          control plane URL, e.g. https://patronus.example.com
  --token TOKEN         one-time enrollment token (pet_...); or PATRONUS_ENROLL_TOKEN
  --uplink SPEC         NAME=IFACE[,endpoint=HOST:PORT]; repeat for each WAN uplink
  --state-dir DIR       state directory (default /var/lib/patronus, or PATRONUS_STATE_DIR)
  --force               replace an existing enrollment (new keys, new agent)
  --insecure-http       allow a plain http:// control plane, for labs and tests only:
                        answers are not signed, so anyone on the path could rewrite
                        peers, prefixes and the model; recorded, so \`run\` and \`sync\`
                        keep working
  -h, --help            show this help
`

export async function enrollCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ...commonOptions,
    server: { type: 'string' },
    token: { type: 'string' },
    uplink: { type: 'string', multiple: true },
    force: { type: 'boolean' },
    'insecure-http': { type: 'boolean' },
  })
  if (values.help) {
    io.stdout(ENROLL_HELP)
    return EXIT.ok
  }
  const server = values.server
  // The env var keeps the token out of `ps` output and shell history.
  const token = values.token ?? io.env['PATRONUS_ENROLL_TOKEN']
  if (!server) throw new UsageError('enroll: --server URL is required')
  if (!token) throw new UsageError('enroll: --token TOKEN is required')
  let serverUrl: URL
  try {
    serverUrl = new URL(server)
  } catch {
    throw new UsageError(`enroll: --server ${server} is not a URL`)
  }
  if (serverUrl.protocol !== 'https:' && serverUrl.protocol !== 'http:') {
    throw new UsageError('enroll: --server must be an https:// URL')
  }
  const insecureHttp = values['insecure-http'] === true
  // Checked before any key is made or byte sent: the token must not cross plain HTTP.
  if (serverUrl.protocol === 'http:' && !insecureHttp) {
    throw new UsageError(`enroll: ${insecureHttpMessage(server)}`)
  }
  const uplinks = (values.uplink ?? []).map(parseUplink)
  const paths = statePaths(stateDirFrom(values['state-dir'], io.env))

  await ensurePrivateDir(paths.dir)
  // A corrupt agent.json still counts as an enrollment: only --force may replace it.
  if (!values.force && (await fileExists(paths.enrollment))) {
    const existing = await readEnrollment(paths).catch(() => undefined)
    const who = existing ? `as agent ${existing.agentId} (site ${existing.siteId}) ` : ''
    throw new Error(
      `already enrolled ${who}in ${paths.dir}; use --force to enroll again with new keys`,
    )
  }

  const keys = generateKeys()
  await saveKeys(paths, keys)
  const hostname = io.hostname()
  const serverText = serverUrl.toString().replace(/\/+$/, '')
  const answer = await enrollAgent(
    serverText,
    {
      token,
      hostname,
      agentVersion: AGENT_VERSION,
      identityPublicKey: keys.identityPublicKey,
      wireguardPublicKey: keys.wireguardPublicKey,
      uplinks,
    },
    { fetch: io.fetch, clock: io.clock, allowInsecureHttp: insecureHttp },
  )
  if (answer.protocolVersion !== PROTOCOL_VERSION) {
    io.stderr(
      `warning: control plane speaks protocol ${answer.protocolVersion}, this agent ${PROTOCOL_VERSION}\n`,
    )
  }
  await writeEnrollment(paths, {
    ...answer,
    serverUrl: serverText,
    enrolledAt: new Date(io.clock.now()).toISOString(),
    hostname,
    identityPublicKey: keys.identityPublicKey,
    wireguardPublicKey: keys.wireguardPublicKey,
    uplinks,
    // The operator's choice, so `run` and `sync` accept the http:// URL without asking again.
    ...(insecureHttp ? { insecureHttp: true } : {}),
  })
  io.stdout(
    `enrolled: agent ${answer.agentId}, site ${answer.siteId}, overlay ${answer.overlayAddress}\n` +
      `state in ${paths.dir}; start the daemon with \`patronus-agent run\`\n`,
  )
  return EXIT.ok
}
