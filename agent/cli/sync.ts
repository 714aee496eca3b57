/**
 * `patronus-agent sync --once`: one signed config fetch, cached on disk and printed.
 * Applies nothing: it is the operator's way to see what the control plane wants.
 */
import { createControlClient } from '../control'
import { tracedFetch } from '../observability'
import { fileStore, loadSigner, requireEnrollment, statePaths } from '../state'
import { commonOptions, parse, stateDirFrom, UsageError } from './args'
import { describeDesiredState } from './format'
import { allowStoredHttp } from './insecure'
import { type CliIo, EXIT } from './io'

export const SYNC_HELP = `Usage: patronus-agent sync --once [options]

Fetch the desired state from the control plane once (signed with the identity key),
cache it in the state directory and print it. Applies nothing.

Options:
  --once                fetch once and exit (required; the daemon is \`patronus-agent run\`)
  --json                print the desired-state document as JSON
  --state-dir DIR       state directory (default /var/lib/patronus, or PATRONUS_STATE_DIR)
  --insecure-http       allow a plain http:// control plane that the enrollment did not
                        record as allowed (labs and tests only)
  -h, --help            show this help
`

export async function syncCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ...commonOptions,
    once: { type: 'boolean' },
    json: { type: 'boolean' },
    'insecure-http': { type: 'boolean' },
  })
  if (values.help) {
    io.stdout(SYNC_HELP)
    return EXIT.ok
  }
  if (!values.once) throw new UsageError('sync: only --once is supported; the daemon is `run`')
  const paths = statePaths(stateDirFrom(values['state-dir'], io.env))
  const enrollment = await requireEnrollment(paths)
  const allowInsecureHttp = allowStoredHttp('sync', enrollment, values['insecure-http'])
  const client = createControlClient({
    serverUrl: enrollment.serverUrl,
    allowInsecureHttp,
    signer: await loadSigner(paths, enrollment.agentId),
    fetch: tracedFetch(io.fetch),
    clock: io.clock,
  })
  // No If-None-Match: the command prints the document, so it always wants the body.
  const result = await client.getConfig()
  if (result.status !== 'changed') throw new Error('sync: the control plane sent no document')
  const store = fileStore(paths)
  await store.save(result.state)
  await store.saveSyncStatus({
    lastSyncAt: new Date(io.clock.now()).toISOString(),
    revision: result.state.revision,
  })
  io.stdout(
    values.json ? `${JSON.stringify(result.state, null, 2)}\n` : describeDesiredState(result.state),
  )
  return EXIT.ok
}
