/** Test-side handle on an agent child (agent-child.ts) running in a lab site's namespace. */

import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { DesiredState } from '../../protocol/agent'
import type { Lab, LabProcess, LabSite } from './harness'

const CHILD = fileURLToPath(new URL('./agent-child.ts', import.meta.url))

interface Reply {
  id?: number
  ok?: boolean
  result?: unknown
  error?: string
  event?: string
  backend?: string
  reason?: string
}

export interface PeerStats {
  publicKey: string
  endpoint?: string
  allowedIps: string[]
  lastHandshakeMs: number
  rxBytes: string
  txBytes: string
}

export interface AgentStats {
  interfaces: { name: string; listenPort: number; peers: PeerStats[] }[]
  meshRoutes: { dst: string; dev?: string; table: number }[]
  rules: { priority: number; table: number; fwmark?: number; from?: string }[]
  wgNames: string[]
}

export class LabAgent {
  private nextId = 1
  private readonly pending = new Map<number, (reply: Reply) => void>()
  backend = ''
  backendReason = ''

  private constructor(
    readonly site: LabSite,
    readonly proc: LabProcess,
  ) {}

  static async start(
    lab: Lab,
    site: LabSite,
    init: { privateKey: string; interfacePrefix: string },
    timeoutMs = 20_000,
  ): Promise<LabAgent> {
    const proc = lab.spawnIn(site.ns, `agent s${site.index}`, process.execPath, [
      '--import',
      'tsx',
      CHILD,
      JSON.stringify(init),
    ])
    const agent = new LabAgent(site, proc)
    const ready = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`agent s${site.index}: not ready`)),
        timeoutMs,
      )
      proc.child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`agent s${site.index} exited (${code}) before ready`))
      })
      const lines = createInterface({ input: proc.child.stdout! })
      lines.on('line', (line) => {
        const reply = JSON.parse(line) as Reply
        if (reply.event === 'ready') {
          clearTimeout(timer)
          resolve(reply)
        } else if (reply.id !== undefined) {
          agent.pending.get(reply.id)?.(reply)
          agent.pending.delete(reply.id)
        }
      })
    })
    const hello = await ready
    agent.backend = hello.backend ?? ''
    agent.backendReason = hello.reason ?? ''
    return agent
  }

  private request<T>(body: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`agent s${this.site.index}: ${String(body.op)} timed out`))
      }, timeoutMs)
      this.pending.set(id, (reply) => {
        clearTimeout(timer)
        if (reply.ok) resolve(reply.result as T)
        else reject(new Error(`agent s${this.site.index}: ${reply.error}`))
      })
      this.proc.child.stdin?.write(`${JSON.stringify({ id, ...body })}\n`)
    })
  }

  reconfig(desired: DesiredState): Promise<unknown> {
    return this.request({ op: 'reconfig', desired })
  }

  stats(): Promise<AgentStats> {
    return this.request({ op: 'stats' })
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.proc.child.exitCode !== null) resolve()
      else this.proc.child.once('exit', () => resolve())
    })
    await this.request({ op: 'close' })
    await exited
  }
}
