/**
 * Userspace UDP delay relay of the WAN lab (the kernel has no netem). Runs inside the WAN
 * namespace: `node --import tsx relay.ts '<json config>'`. It listens on the relay address
 * at each given port; a packet from client C to port p is sent on to (target, p) from a
 * per-client socket after delay +/- jitter, and the target's answers to that socket go
 * back to C from port p after the same delay. Prints `ready` once every socket is bound.
 */
import { createSocket, type Socket } from 'node:dgram'

interface RelayConfig {
  relayAddress: string
  target: string
  ports: number[]
  delayMs: number
  jitterMs: number
}

const MAX_IN_FLIGHT = 10_000
const MAX_SESSIONS = 1_024

const config = JSON.parse(process.argv[2] ?? '{}') as RelayConfig
let inFlight = 0

function later(send: () => void): void {
  if (inFlight >= MAX_IN_FLIGHT) return
  const jitter = config.jitterMs > 0 ? (Math.random() * 2 - 1) * config.jitterMs : 0
  inFlight++
  setTimeout(
    () => {
      inFlight--
      send()
    },
    Math.max(0, config.delayMs + jitter),
  )
}

const sessions = new Map<string, Socket>()

async function bind(socket: Socket, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(port, config.relayAddress, () => {
      socket.off('error', reject)
      resolve()
    })
  })
}

async function main(): Promise<void> {
  for (const port of config.ports) {
    const listener = createSocket('udp4')
    listener.on('message', (msg, rinfo) => {
      const key = `${rinfo.address}:${rinfo.port}:${port}`
      let upstream = sessions.get(key)
      if (!upstream) {
        if (sessions.size >= MAX_SESSIONS) return
        const socket = createSocket('udp4')
        socket.on('message', (back) => {
          later(() => listener.send(back, rinfo.port, rinfo.address))
        })
        socket.bind(0, config.relayAddress)
        sessions.set(key, socket)
        upstream = socket
      }
      const out = upstream
      later(() => out.send(msg, port, config.target))
    })
    await bind(listener, port)
  }
  process.stdout.write('ready\n')
}

process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
main().catch((err: unknown) => {
  process.stderr.write(`relay: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
