/**
 * A real HTTP receiver on loopback for delivery tests: records every request (headers,
 * raw body) and answers from a script (status, headers), then 200 once the script ends.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  url: string
  headers: IncomingHttpHeaders
  body: string
  answered: number
}

export interface Reply {
  status: number
  headers?: Record<string, string>
}

export class Receiver {
  readonly requests: Received[] = []
  script: Reply[] = []
  private server: Server | undefined
  private waiters: (() => void)[] = []
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const reply = this.script.shift() ?? { status: 200 }
        this.requests.push({
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          answered: reply.status,
        })
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers })
        res.end('ok')
        for (const wake of this.waiters.splice(0)) wake()
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  /** Resolves once `count` requests have arrived (fails after `ms`). */
  async waitFor(count: number, ms = 15_000): Promise<Received[]> {
    const deadline = Date.now() + ms
    while (this.requests.length < count) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`expected ${count} requests, got ${this.requests.length}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200))
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.requests
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve()
      this.server.closeAllConnections()
      this.server.close(() => resolve())
    })
  }
}

/** Polls `check` until it returns a truthy value (fails after `ms`). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  ms = 15_000,
) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
