/**
 * Userspace WireGuard: one `wireguard-go -f <ifname>` process per interface, configured over
 * its UAPI socket. The process inherits the caller's network namespace, so an agent running
 * inside a site namespace (the lab) or on the host (production) needs no netns option.
 * Sockets live in one host-wide directory whatever the namespace: interface names must be
 * unique on the host (docs/lab.md).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { type DeviceUpdate, planDeviceUpdate } from './diff'
import {
  type SetResult,
  type WireGuardBackend,
  type WireGuardDeviceConfig,
  type WireGuardDeviceState,
  WireGuardError,
} from './types'
import {
  formatSet,
  parseErrno,
  parseGet,
  UAPI_SOCKET_DIR,
  uapiExchange,
  uapiSocketPath,
} from './uapi'

export interface UserspaceBackendOptions {
  binary?: string
  socketDir?: string
  /** How long wireguard-go may take to open its socket. */
  startTimeoutMs?: number
  /** Removes a link by name; used to stop a wireguard-go this instance did not start. */
  deleteLink?: (ifname: string) => Promise<void>
  log?: (message: string) => void
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export class UserspaceWireGuardBackend implements WireGuardBackend {
  readonly kind = 'userspace' as const
  private readonly processes = new Map<string, ChildProcess>()
  private readonly applied = new Map<string, WireGuardDeviceConfig>()
  private readonly binary: string
  private readonly socketDir: string
  private readonly startTimeoutMs: number

  constructor(private readonly options: UserspaceBackendOptions = {}) {
    this.binary = options.binary ?? 'wireguard-go'
    this.socketDir = options.socketDir ?? UAPI_SOCKET_DIR
    this.startTimeoutMs = options.startTimeoutMs ?? 5_000
  }

  private path(ifname: string): string {
    return uapiSocketPath(ifname, this.socketDir)
  }

  private async answers(ifname: string): Promise<boolean> {
    try {
      await uapiExchange(this.path(ifname), 'get=1\n\n', 500)
      return true
    } catch {
      return false
    }
  }

  /** PIDs of the wireguard-go processes this instance started (for the record). */
  pids(): Map<string, number> {
    const out = new Map<string, number>()
    for (const [name, child] of this.processes) if (child.pid) out.set(name, child.pid)
    return out
  }

  async up(ifname: string): Promise<void> {
    if (this.processes.has(ifname) || (await this.answers(ifname))) return
    // A socket file without a listener is a leftover of a dead process; wireguard-go
    // refuses to start over it.
    rmSync(this.path(ifname), { force: true })
    const child = spawn(this.binary, ['-f', ifname], {
      env: { ...process.env, WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-2_000)
    })
    let exited: number | null | undefined
    child.on('exit', (code) => {
      exited = code
      if (this.processes.get(ifname) === child) this.processes.delete(ifname)
    })
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))
    this.processes.set(ifname, child)
    const deadline = Date.now() + this.startTimeoutMs
    for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
      if (exited !== undefined) break
      if (await this.answers(ifname)) {
        this.options.log?.(`wireguard-go ${ifname} started (pid ${child.pid})`)
        return
      }
      const failed = await Promise.race([spawnError, delay(20).then(() => undefined)])
      if (failed) {
        this.processes.delete(ifname)
        throw new WireGuardError(`start ${this.binary} ${ifname}: ${failed.message}`)
      }
    }
    await this.stopProcess(ifname, child)
    throw new WireGuardError(
      `start ${this.binary} ${ifname}: no UAPI socket within ${this.startTimeoutMs} ms` +
        (exited !== undefined ? ` (exited ${exited})` : '') +
        (stderr ? `: ${stderr.trim()}` : ''),
    )
  }

  async get(ifname: string): Promise<WireGuardDeviceState> {
    return parseGet(await uapiExchange(this.path(ifname), 'get=1\n\n'))
  }

  async set(ifname: string, config: WireGuardDeviceConfig): Promise<SetResult> {
    const current = await this.get(ifname)
    const update = planDeviceUpdate(current, config, this.applied.get(ifname))
    if (update) await this.write(ifname, update)
    this.applied.set(ifname, config)
    return { changed: update !== undefined }
  }

  private async write(ifname: string, update: DeviceUpdate): Promise<void> {
    const errno = parseErrno(await uapiExchange(this.path(ifname), formatSet(update)))
    if (errno !== 0) throw new WireGuardError(`UAPI set ${ifname}: errno=${errno}`)
  }

  async list(): Promise<string[]> {
    try {
      return readdirSync(this.socketDir)
        .filter((e) => e.endsWith('.sock'))
        .map((e) => e.slice(0, -'.sock'.length))
    } catch {
      return []
    }
  }

  async down(ifname: string): Promise<void> {
    this.applied.delete(ifname)
    const child = this.processes.get(ifname)
    if (child) {
      await this.stopProcess(ifname, child)
    } else if (await this.answers(ifname)) {
      if (!this.options.deleteLink) {
        throw new WireGuardError(`down ${ifname}: not started here and no deleteLink given`)
      }
      // wireguard-go exits when its TUN device is deleted.
      await this.options.deleteLink(ifname)
      const deadline = Date.now() + 3_000
      while (Date.now() < deadline && (await this.answers(ifname))) await delay(20)
    }
    rmSync(this.path(ifname), { force: true })
  }

  private async stopProcess(ifname: string, child: ChildProcess): Promise<void> {
    this.processes.delete(ifname)
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const graceful = await Promise.race([exited.then(() => true), delay(2_000).then(() => false)])
    if (!graceful) {
      child.kill('SIGKILL')
      await Promise.race([exited, delay(2_000)])
    }
  }

  async close(): Promise<void> {
    const names = [...this.processes.keys()]
    const results = await Promise.allSettled(names.map((name) => this.down(name)))
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed.length > 0) {
      throw new WireGuardError(`close: ${failed.map((f) => String(f.reason)).join('; ')}`)
    }
  }
}
