/**
 * One end of the agent's quality probes for the lab recorder, run inside a lab namespace
 * (`ip netns exec NS node --import tsx probe-child.ts '<json>'`):
 *
 * - `responder`: the agent's QualityResponder on `address:port`;
 * - `prober`: the agent's QualityProber on one path, through a socket factory that reports
 *   every request sent and every reply received as a JSON line (`{"s":seq,"t":ms}`,
 *   `{"r":seq,"t":ms}`, epoch ms with sub-ms precision), which the recorder turns into a trace.
 *
 * Prints `{"ready":true}` once bound; SIGTERM or the end of stdin stops it.
 */
import { systemClock } from '../../agent/clock'
import {
  decodeProbe,
  type ProbeSocketFactory,
  QualityProber,
  QualityResponder,
  udpSocketFactory,
} from '../../agent/probes/quality'

interface ChildInit {
  mode: 'responder' | 'prober'
  keyHex: string
  address: string
  port: number
  remoteAddress?: string
  intervalMs?: number
}

const init = JSON.parse(process.argv[2] ?? '{}') as ChildInit
const key = Buffer.from(init.keyHex, 'hex')
const out = (m: unknown) => process.stdout.write(`${JSON.stringify(m)}\n`)
const now = () => performance.timeOrigin + performance.now()
const onError = (error: Error) => out({ error: error.message })

/** The real UDP sockets, with every probe's sequence reported on the way out and in. */
const tapped: ProbeSocketFactory = {
  async bind(options) {
    const socket = await udpSocketFactory.bind({
      ...options,
      onMessage(bytes, from) {
        const d = decodeProbe(bytes, key)
        if (d.ok && d.packet.type === 'reply') out({ r: d.packet.sequence, t: now() })
        options.onMessage(bytes, from)
      },
    })
    return {
      get local() {
        return socket.local
      },
      send(bytes, to) {
        const d = decodeProbe(bytes, key)
        if (d.ok) out({ s: d.packet.sequence, t: now() })
        socket.send(bytes, to)
      },
      close: () => socket.close(),
    }
  },
}

let stop: () => Promise<void>
if (init.mode === 'responder') {
  const responder = new QualityResponder({
    clock: systemClock,
    sockets: udpSocketFactory,
    keyFor: () => key,
    onError,
  })
  await responder.reconfig([{ address: init.address, port: init.port, slot: 0 }])
  stop = () => responder.stop()
} else {
  const prober = new QualityProber({
    clock: systemClock,
    sockets: tapped,
    intervalMs: init.intervalMs ?? 50,
    onError,
  })
  await prober.reconfig([
    {
      peerSiteId: 'peer',
      localSlot: 0,
      remoteSlot: 0,
      localAddress: init.address,
      remoteAddress: init.remoteAddress ?? '',
      remotePort: init.port,
      key,
    },
  ])
  prober.start()
  stop = () => prober.stop()
}
out({ ready: true })

let closing = false
async function close(): Promise<void> {
  if (closing) return
  closing = true
  await stop()
  process.exit(0)
}
process.on('SIGTERM', () => void close())
process.on('SIGINT', () => void close())
process.stdin.on('end', () => void close())
process.stdin.resume()
