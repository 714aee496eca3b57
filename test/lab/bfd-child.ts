/**
 * Our BFD side of the BIRD interop lab test, run inside a namespace
 * (`ip netns exec NS node --import tsx bfd-child.ts '<json>'`): one endpoint on the local
 * address, one session to the peer, state changes and snapshots as JSON lines on stdout.
 * stdin: a line `snapshot` asks for counters and session state; end of stdin or SIGTERM
 * closes the sockets and exits.
 */
import { createInterface } from 'node:readline'
import { systemClock } from '../../agent/clock'
import {
  type AuthConfig,
  BfdEndpoint,
  openUdpTransport,
  timersFromClock,
} from '../../agent/probes/bfd'

interface ChildInit {
  localAddress: string
  peerAddress: string
  intervalMs: number
  detectMult: number
  auth?: AuthConfig
}

const init = JSON.parse(process.argv[2] ?? '{}') as ChildInit
const out = (m: unknown) => process.stdout.write(`${JSON.stringify(m)}\n`)

const transport = await openUdpTransport({
  localAddress: init.localAddress,
  onError: (err) => out({ type: 'error', message: err.message }),
})
const endpoint = new BfdEndpoint({ transport, clock: timersFromClock(systemClock) })
const session = endpoint.addSession({
  peerAddress: init.peerAddress,
  desiredMinTxMs: init.intervalMs,
  requiredMinRxMs: init.intervalMs,
  detectMult: init.detectMult,
  ...(init.auth ? { auth: init.auth } : {}),
})
session.on('state', (e) => out({ type: 'state', ...e, wall: Date.now() }))
out({ type: 'ready', sourcePort: transport.sourcePort, wall: Date.now() })

let closing = false
async function close(code: number): Promise<void> {
  if (closing) return
  closing = true
  await endpoint.close()
  process.exit(code)
}
process.on('SIGTERM', () => void close(0))
process.on('SIGINT', () => void close(0))
const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  if (line.trim() === 'snapshot')
    out({ type: 'snapshot', ...endpoint.snapshot(), wall: Date.now() })
})
rl.on('close', () => void close(0))
