/**
 * The real control plane inside the lab: `node --import tsx worker/node.ts` started in the
 * lab's control-plane namespace, listening on its lab address, over an embedded database
 * file in a directory the caller owns (so a stop and a start keep the data). The API is
 * called from inside that namespace with curl: the test process lives in the host
 * namespace, which has no route into the lab, and should not get one.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { pollUntil } from './exec'
import type { Lab, LabProcess } from './harness'

export const LAB_CP_PORT = 8787

export interface ApiResponse {
  status: number
  body: any
}

export class LabControlPlane {
  readonly url: string
  readonly bootstrapToken: string
  private proc: LabProcess | undefined
  /** Everything the server printed on stdout (its URL, never the token: it is configured). */
  stdout = ''

  constructor(
    private readonly lab: Lab,
    private readonly dataDir: string,
    readonly port = LAB_CP_PORT,
  ) {
    this.url = `http://${lab.cp.address}:${port}`
    this.bootstrapToken = `pat_lab_${randomBytes(16).toString('hex')}`
  }

  get running(): boolean {
    return this.proc !== undefined
  }

  /** Starts the server and waits until /readyz answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.proc) return
    const proc = this.lab.spawnIn(
      this.lab.cp.ns,
      'control plane',
      process.execPath,
      ['--import', 'tsx', join(process.cwd(), 'worker', 'node.ts')],
      {
        env: {
          HOST: this.lab.cp.address,
          PORT: String(this.port),
          DATABASE_URL: `file:${join(this.dataDir, 'control-plane.db')}`,
          PATRONUS_BOOTSTRAP_TOKEN: this.bootstrapToken,
          LOG_LEVEL: 'warn',
        },
      },
    )
    this.proc = proc
    let stderr = ''
    proc.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d
    })
    proc.child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4_000)
    })
    // A server that dies at start (bad config, broken build) fails the wait at once.
    const died = new Promise<never>((_, reject) => {
      proc.child.once('exit', (code) => {
        if (this.proc === proc) this.proc = undefined
        reject(new Error(`control plane exited (${code}) before ready:\n${stderr.trim()}`))
      })
    })
    died.catch(() => {})
    const ready = pollUntil(
      'the control plane to be ready',
      async () => {
        const res = await this.lab.exec(
          this.lab.cp.ns,
          'curl',
          ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `${this.url}/readyz`],
          5_000,
        )
        return res.stdout === '200' ? true : undefined
      },
      { timeoutMs, intervalMs: 200 },
    )
    await Promise.race([ready, died])
  }

  /** SIGTERM (the server drains), then waits for the exit. */
  async stop(): Promise<void> {
    const proc = this.proc
    if (!proc) return
    this.proc = undefined
    await this.lab.stop(proc.pid)
  }

  /** One API call with the bootstrap (instance-admin) token, from the control-plane namespace. */
  async api(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const args = [
      '-s',
      '--max-time',
      '20',
      '-X',
      method,
      '-H',
      `authorization: Bearer ${this.bootstrapToken}`,
      // Also on a body-less DELETE: the server's JSON guard sees @hono/node-server's empty
      // body as a body (a known control-plane quirk).
      '-H',
      'content-type: application/json',
      '-w',
      '\n%{http_code}',
    ]
    if (body !== undefined) args.push('--data-binary', JSON.stringify(body))
    args.push(`${this.url}${path}`)
    const res = await this.lab.exec(this.lab.cp.ns, 'curl', args, 25_000)
    const cut = res.stdout.lastIndexOf('\n')
    const status = Number(res.stdout.slice(cut + 1))
    const text = res.stdout.slice(0, Math.max(0, cut))
    if (!Number.isInteger(status) || status === 0) {
      throw new Error(`${method} ${path}: no HTTP answer (curl exit ${res.code}) ${res.stderr}`)
    }
    return { status, body: text ? JSON.parse(text) : undefined }
  }

  /** Creates a site and a one-time enrollment token for it. */
  async createSite(name: string, prefixes: string[]): Promise<{ siteId: string; token: string }> {
    const site = await this.api('POST', '/v1/sites', { name, prefixes })
    if (site.status !== 201) {
      throw new Error(`create site ${name}: HTTP ${site.status} ${JSON.stringify(site.body)}`)
    }
    const token = await this.api('POST', `/v1/sites/${site.body.id}/enrollment-tokens`, {
      expiresInSeconds: 600,
    })
    if (token.status !== 201) {
      throw new Error(`token for ${name}: HTTP ${token.status} ${JSON.stringify(token.body)}`)
    }
    return { siteId: site.body.id as string, token: token.body.token as string }
  }

  async deleteSite(siteId: string): Promise<void> {
    const res = await this.api('DELETE', `/v1/sites/${siteId}`)
    if (res.status >= 300) {
      throw new Error(`delete site ${siteId}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
    }
  }
}
