/**
 * A two-namespace lab for BFD interop: `pt-<run>-bfa` (our BFD, as a child process) and
 * `pt-<run>-bfb` (BIRD 2) joined by one veth pair, so single-hop BFD (RFC 5881, TTL 255)
 * runs on a direct link as it does between two uplinks. Everything is named per run and
 * recorded (namespaces, PIDs, temp dir, an owner record so other runs' cleanupStale()
 * leaves us alone while we live); destroy() runs on every exit path, including SIGINT,
 * SIGTERM and process exit, and kills only the PIDs it started.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { AuthConfig } from '../../agent/probes/bfd'
import { ipn, isAlive, killPid, nsExec, pollUntil, run } from './exec'
import { checkIfName, LAB_PREFIX, newRunId, OWNER_DIR } from './names'

const CHILD_SCRIPT = fileURLToPath(new URL('./bfd-child.ts', import.meta.url))
export const SETUP_HINT = 'install it with: sudo scripts/setup-debian.sh'

export interface ChildEvent {
  type: string
  from?: string
  to?: string
  diag?: number
  wall: number
  [k: string]: unknown
}

export interface BirdSession {
  address: string
  state: string
  interval: string
  timeout: string
}

/** Fails (never skips) when the lab cannot run here, naming the fix. */
export async function requireLabTools(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error('BFD lab test needs root (network namespaces): run sudo npm run test:lab')
  }
  for (const tool of ['bird', 'birdc', 'ip', 'nft']) {
    const found = await run('sh', ['-c', `command -v ${tool}`], { allowFail: true })
    if (found.code !== 0) throw new Error(`BFD lab: ${tool} is missing; ${SETUP_HINT}`)
  }
}

export class BfdLab {
  readonly runId = newRunId()
  readonly nsOurs = `${LAB_PREFIX}${this.runId}-bfa`
  readonly nsBird = `${LAB_PREFIX}${this.runId}-bfb`
  readonly ifOurs = checkIfName(`${LAB_PREFIX}${this.runId}-va`)
  readonly ifBird = checkIfName(`${LAB_PREFIX}${this.runId}-vb`)
  readonly addrOurs = '198.18.250.2'
  readonly addrBird = '198.18.250.1'
  readonly nftTable = `pt_${this.runId}_bfd`
  readonly dir: string
  private readonly namespaces: string[] = []
  private readonly pids = new Set<number>()
  /** Every PID this lab started, for the leak check. */
  private readonly started: number[] = []
  private birdPid: number | undefined
  private child: ChildProcess | undefined
  readonly events: ChildEvent[] = []
  private destroyed = false
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.destroySync()
    process.kill(process.pid, sig)
  }
  private readonly onExit = () => this.destroySync()

  constructor(private readonly log: (m: string) => void = () => {}) {
    this.dir = mkdtempSync(join(tmpdir(), `${LAB_PREFIX}${this.runId}-bfd-`))
    process.once('SIGINT', this.onSignal)
    process.once('SIGTERM', this.onSignal)
    process.once('exit', this.onExit)
  }

  get birdCtl(): string {
    return join(this.dir, 'bird.ctl')
  }

  async create(): Promise<void> {
    mkdirSync(OWNER_DIR, { recursive: true })
    writeFileSync(
      `${OWNER_DIR}/${this.runId}.json`,
      JSON.stringify({ pid: process.pid, runId: this.runId, createdAt: new Date().toISOString() }),
    )
    for (const ns of [this.nsOurs, this.nsBird]) {
      await run('ip', ['netns', 'add', ns])
      this.namespaces.push(ns)
      await ipn(ns, ['link', 'set', 'lo', 'up'])
    }
    await ipn(this.nsOurs, [
      'link',
      'add',
      this.ifOurs,
      'type',
      'veth',
      'peer',
      'name',
      this.ifBird,
      'netns',
      this.nsBird,
    ])
    await ipn(this.nsOurs, ['addr', 'add', `${this.addrOurs}/30`, 'dev', this.ifOurs])
    await ipn(this.nsBird, ['addr', 'add', `${this.addrBird}/30`, 'dev', this.ifBird])
    await ipn(this.nsOurs, ['link', 'set', this.ifOurs, 'up'])
    await ipn(this.nsBird, ['link', 'set', this.ifBird, 'up'])
    this.log(`bfd lab ${this.runId}: namespaces ${this.namespaces.join(', ')}`)
  }

  /** BIRD 2 config: one BFD neighbor on the veth, our intervals, optional keyed SHA1. */
  birdConfig(opts: {
    intervalMs: number
    multiplier: number
    auth?: { mode: 'keyed sha1' | 'meticulous keyed sha1'; password: string }
  }): string {
    const auth = opts.auth
      ? `    authentication ${opts.auth.mode};\n    password "${opts.auth.password}" { id 1; };\n`
      : ''
    return [
      `router id ${this.addrBird};`,
      'log stderr all;',
      'protocol device { scan time 1; }',
      'protocol bfd {',
      `  interface "${this.ifBird}" {`,
      `    interval ${opts.intervalMs} ms;`,
      `    multiplier ${opts.multiplier};`,
      auth,
      '  };',
      `  neighbor ${this.addrOurs} dev "${this.ifBird}" local ${this.addrBird};`,
      '}',
      '',
    ].join('\n')
  }

  async startBird(config: string): Promise<void> {
    const conf = join(this.dir, 'bird.conf')
    writeFileSync(conf, config)
    await run('bird', ['-p', '-c', conf])
    // `ip netns exec` execs bird in place and -f keeps it in the foreground: the PID we
    // record is BIRD's own.
    const child = spawn(
      'ip',
      ['netns', 'exec', this.nsBird, 'bird', '-f', '-c', conf, '-s', this.birdCtl],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    if (!child.pid) throw new Error('bird did not start')
    this.birdPid = child.pid
    this.pids.add(child.pid)
    this.started.push(child.pid)
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.log(`bird: ${d.trim()}`))
    await pollUntil(
      'bird control socket',
      async () => {
        const r = await run('birdc', ['-s', this.birdCtl, 'show', 'status'], { allowFail: true })
        return r.code === 0 ? true : undefined
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    )
  }

  async stopBird(): Promise<void> {
    if (this.birdPid === undefined) return
    await killPid(this.birdPid)
    this.pids.delete(this.birdPid)
    this.birdPid = undefined
  }

  async birdSessions(): Promise<BirdSession[]> {
    const r = await run('birdc', ['-s', this.birdCtl, 'show', 'bfd', 'sessions'], {
      timeoutMs: 5_000,
    })
    const sessions: BirdSession[] = []
    for (const line of r.stdout.split('\n')) {
      const f = line.trim().split(/\s+/)
      if (f[0] === this.addrOurs && f.length >= 6) {
        sessions.push({
          address: f[0],
          state: f[2] ?? '',
          interval: f.at(-2) ?? '',
          timeout: f.at(-1) ?? '',
        })
      }
    }
    return sessions
  }

  async birdState(): Promise<string | undefined> {
    return (await this.birdSessions())[0]?.state
  }

  /** Starts our BFD (test/lab/bfd-child.ts) inside our namespace. */
  async startOurs(opts: { intervalMs: number; detectMult: number; auth?: AuthConfig }) {
    const init = {
      localAddress: this.addrOurs,
      peerAddress: this.addrBird,
      intervalMs: opts.intervalMs,
      detectMult: opts.detectMult,
      ...(opts.auth ? { auth: opts.auth } : {}),
    }
    this.events.length = 0
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.nsOurs,
        process.execPath,
        '--import',
        'tsx',
        CHILD_SCRIPT,
        JSON.stringify(init),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    )
    if (!child.pid) throw new Error('bfd child did not start')
    this.child = child
    this.pids.add(child.pid)
    this.started.push(child.pid)
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.log(`child: ${d.trim()}`))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ChildEvent)
      } catch {
        this.log(`child (not JSON): ${line}`)
      }
    })
    await pollUntil('bfd child ready', () => this.events.find((e) => e.type === 'ready'), {
      timeoutMs: 20_000,
    })
  }

  ourState(): string {
    const last = [...this.events].reverse().find((e) => e.type === 'state')
    return last?.to ?? 'Down'
  }

  async ourSnapshot(): Promise<ChildEvent> {
    const before = this.events.length
    this.child?.stdin?.write('snapshot\n')
    return pollUntil(
      'bfd child snapshot',
      () => this.events.slice(before).find((e) => e.type === 'snapshot'),
      { timeoutMs: 5_000, intervalMs: 20 },
    )
  }

  async stopOurs(): Promise<void> {
    const child = this.child
    if (!child?.pid) return
    this.child = undefined
    child.stdin?.end()
    await killPid(child.pid)
    this.pids.delete(child.pid)
  }

  /**
   * Drops everything on our side of the link (nftables in our namespace): `both`
   * directions, only what arrives at us (`in`), or only what we send (`out`).
   */
  async blackhole(direction: 'both' | 'in' | 'out' = 'both'): Promise<void> {
    const rules = [
      `table inet ${this.nftTable} {`,
      '  chain input {',
      '    type filter hook input priority -10; policy accept;',
      direction !== 'out' ? `    iifname "${this.ifOurs}" drop` : '',
      '  }',
      '  chain output {',
      '    type filter hook output priority -10; policy accept;',
      direction !== 'in' ? `    oifname "${this.ifOurs}" drop` : '',
      '  }',
      '}',
      '',
    ].join('\n')
    await nsExec(this.nsOurs, 'nft', ['-f', '-'], { input: rules })
  }

  async lift(): Promise<void> {
    await nsExec(this.nsOurs, 'nft', ['delete', 'table', 'inet', this.nftTable])
  }

  /** Kills our PIDs, deletes our namespaces, temp dir and owner record (idempotent). */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    await this.stopOurs().catch(() => {})
    await this.stopBird().catch(() => {})
    for (const pid of this.pids) await killPid(pid)
    this.pids.clear()
    for (const ns of this.namespaces) await run('ip', ['netns', 'del', ns], { allowFail: true })
    this.namespaces.length = 0
    rmSync(this.dir, { recursive: true, force: true })
    rmSync(`${OWNER_DIR}/${this.runId}.json`, { force: true })
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
    process.off('exit', this.onExit)
    this.log(`bfd lab ${this.runId}: destroyed`)
  }

  /** Last resort when no await is possible (process exit, signals). */
  private destroySync(): void {
    if (this.destroyed) return
    this.destroyed = true
    for (const pid of this.pids) {
      try {
        if (isAlive(pid)) process.kill(pid, 'SIGKILL')
      } catch {}
    }
    for (const ns of this.namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5_000 })
      } catch {}
    }
    rmSync(this.dir, { recursive: true, force: true })
    rmSync(`${OWNER_DIR}/${this.runId}.json`, { force: true })
  }

  /** What of this run is still on the host (for the leak assertion). */
  async leftovers(): Promise<string[]> {
    const ns = await run('ip', ['netns', 'list'], { allowFail: true })
    const left = ns.stdout
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`${LAB_PREFIX}${this.runId}-`))
    for (const pid of this.started) if (isAlive(pid)) left.push(`pid ${pid}`)
    return left
  }
}
