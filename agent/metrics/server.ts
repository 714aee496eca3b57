/**
 * The agent's Prometheus endpoint: GET /metrics on a node:http server serving one registry
 * (a dedicated prom-client Registry, never the global one). Bind to loopback by default; the
 * caller decides whether to expose it.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { type ListenAddress, parseListen } from './listen'

export interface MetricsServer {
  /** The bound address (port 0 resolves to the real port). */
  address: ListenAddress
  /** e.g. http://127.0.0.1:9469/metrics */
  url: string
  /** Stops listening and drops open connections (idempotent). */
  close(): Promise<void>
}

export async function startMetricsServer(
  registry: Registry,
  listen: string | ListenAddress,
): Promise<MetricsServer> {
  const where = typeof listen === 'string' ? parseListen(listen) : listen
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      res.end('method not allowed\n')
      return
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType })
        res.end(req.method === 'HEAD' ? undefined : body)
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`collect metrics: ${error instanceof Error ? error.message : String(error)}\n`)
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new Error(`listen metrics on ${where.host}:${where.port}`, { cause: error })),
    )
    server.listen(where.port, where.host, () => resolve())
  })
  const bound = server.address() as AddressInfo
  const address = { host: where.host, port: bound.port }
  const hostPart = address.host.includes(':') ? `[${address.host}]` : address.host
  let closing: Promise<void> | null = null
  return {
    address,
    url: `http://${hostPart}:${address.port}/metrics`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
