/**
 * Makes the lab's control plane reachable from the host's loopback without giving the host
 * a route into the lab: a relay inside the control-plane namespace accepts connections on
 * a unix socket (a file, so visible from every namespace) and connects each one to the
 * server's lab address; the host side listens on 127.0.0.1 and pipes into that socket.
 * Run as a script, this file is the in-namespace relay: argv = socket path, host, port.
 */
import { rmSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b)
  b.pipe(a)
  const end = () => {
    a.destroy()
    b.destroy()
  }
  a.on('error', end).on('close', end)
  b.on('error', end).on('close', end)
}

/** Host side: 127.0.0.1:port (0 = any free one) -> unix socket. Resolves the bound port. */
export function listenOnLoopback(
  socketPath: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer((client) => pipeBoth(client, connect(socketPath)))
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      resolve({ server, port: typeof address === 'object' && address ? address.port : port })
    })
  })
}

const isMain = process.argv[1]?.endsWith('api-bridge.ts')
if (isMain) {
  const [socketPath, host, port] = process.argv.slice(2)
  if (!socketPath || !host || !port) throw new Error('usage: api-bridge.ts SOCKET HOST PORT')
  rmSync(socketPath, { force: true })
  const server = createServer((client) => pipeBoth(client, connect(Number(port), host)))
  server.listen(socketPath, () => process.stdout.write('ready\n'))
  const stop = () => server.close(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
