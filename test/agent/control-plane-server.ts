/**
 * The in-memory FakeControlPlane behind a real HTTP listener on 127.0.0.1, for tests that
 * run the agent as a separate process (its requests cannot go through an injected fetch).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeControlPlane } from '../../agent/testing/fake-control-plane'

export interface ServedControlPlane {
  cp: FakeControlPlane
  url: string
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function serveFakeControlPlane(): Promise<ServedControlPlane> {
  const cp = new FakeControlPlane()
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value
      }
      // The agent signs the URL it asked for; the listener sees only the path.
      const response = await cp.fetch(`${url}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body ? { body } : {}),
      })
      res.writeHead(response.status, Object.fromEntries(response.headers.entries()))
      res.end(Buffer.from(await response.arrayBuffer()))
    })().catch((error: unknown) => {
      res.writeHead(500)
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    cp,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
